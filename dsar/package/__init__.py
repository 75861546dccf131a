"""The response package's files (letter, reports, data.json, CSV, portable data), rendered
from one view of the request. Pure formatting: no database, no S3, no clock, no I/O at
import, so the activities gather the facts and these modules only turn them into bytes.
"""
