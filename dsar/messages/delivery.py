"""Delivery: the response package, its link, its retention, and portability's transmission."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from dsar.messages.decision import Decision


class BuildPackageInput(BaseModel):
    reference: str
    # Portability (Art. 20): add the data the person provided as portable/data.json and CSV.
    portable: bool = False


class PackageResult(BaseModel):
    artefact_id: str
    bytes: int
    sha256: str
    records: int
    companies_with_data: list[str]
    # What it was built from (casestore.package_inputs); empty in results recorded before.
    fingerprint: str = ""


class PackageCheck(BaseModel):
    """What `ensure_package` found before a link is sent.

    `present`: the object is in S3; `rebuilt`: it was missing and was built again from the
    case store (`package` is the new build); `deleted`: removed after its retention period,
    which is final, so nothing is rebuilt and no link may be sent."""

    outcome: Literal["present", "rebuilt", "deleted"]
    package: PackageResult | None = None


class PreparedPackage(BaseModel):
    """A package built while the request waited for review: still what would be sent now?"""

    reference: str
    package: PackageResult


class ResendLinkRequest(Decision):
    """A new download link and code for the person; the ones sent before stop working."""


class DeletePackageInput(BaseModel):
    reference: str
    retention_days: int = 0  # for the audit trail: how long it was kept


class PackageDeletion(BaseModel):
    artefact_id: str | None
    deleted_at: datetime | None


class PortableInput(BaseModel):
    """Art. 20(2): send the portable data.json straight to another controller's endpoint."""

    reference: str
    transmit_to: str


class TransmissionResult(BaseModel):
    status_code: int
    bytes: int
    already_sent: bool = False
