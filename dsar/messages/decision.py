"""What every human decision carries: who made it, and the signature that proves it.

Each Update a person sends (approve, refuse, verify identity, extend, ...) takes a message
built on `Decision`. The `dsar` command fills in `signature` (`dsar.signing`); the workflow's
validator refuses a decision whose signature is missing or does not prove `actor`. The
signature has a default so that histories recorded before decisions were signed still load.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from dsar.signing import DecisionSignature


class Decision(BaseModel):
    """A person's (or a service's) decision on one request, as sent in an Update."""

    actor: str = Field(min_length=1, max_length=100)
    signature: DecisionSignature | None = None
