"""The request workflow: one data-subject request from receipt to delivery.

`workflow.py` reads the legal process top to bottom and lists what a person can do to a
request; each stage lives in its own module. The names other packages use stay importable
from here.
"""

from workflows.rights_request.context import ACTIVITY_RETRY, SYSTEM_ACTOR, VERIFICATION_PAGE_ACTOR
from workflows.rights_request.identity import IDENTITY_NOT_VERIFIED, IDENTITY_SEARCH_TIMEOUT
from workflows.rights_request.review import NAME_INDEX_RETRY, REFUSED
from workflows.rights_request.workflow import RightsRequestWorkflow

__all__ = [
    "ACTIVITY_RETRY",
    "IDENTITY_NOT_VERIFIED",
    "IDENTITY_SEARCH_TIMEOUT",
    "NAME_INDEX_RETRY",
    "REFUSED",
    "SYSTEM_ACTOR",
    "VERIFICATION_PAGE_ACTOR",
    "RightsRequestWorkflow",
]
