"""The request workflow: one data-subject request from receipt to delivery.

`workflow.py` reads the legal process top to bottom and lists what a person can do to a
request; each stage lives in its own module. The names other packages use stay importable
from here.
"""

from workflows.rights_request.context import SYSTEM_ACTOR, VERIFICATION_PAGE_ACTOR
from workflows.rights_request.identity import IDENTITY_NOT_VERIFIED
from workflows.rights_request.review import REFUSED
from workflows.rights_request.workflow import RightsRequestWorkflow

__all__ = [
    "IDENTITY_NOT_VERIFIED",
    "REFUSED",
    "SYSTEM_ACTOR",
    "VERIFICATION_PAGE_ACTOR",
    "RightsRequestWorkflow",
]
