"""Re-checking a request's decisions from the audit trail (`dsar audit --verify-signatures`).

The workflow writes one `decision.signed` entry per accepted decision, holding everything
the signature covers except the workflow id (derived from the reference): the Update's
name, the digest of its input, the actor, the time, the nonce, the public key and the
signature. Anyone holding the roles file can check each one again, long after the
workflow has gone; an entry whose fields were changed no longer matches its signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from dsar.roles import RoleGrants
from dsar.signing import DecisionSignature, SignatureError, check_signature

SIGNED_ACTION = "decision.signed"


@dataclass(frozen=True)
class DecisionCheck:
    """One recorded decision and what re-checking it found (`problem` None: it holds)."""

    seq: int
    actor: str
    update: str
    signed_at: str
    problem: str | None


def check_recorded(
    workflow_id: str, entries: list[tuple[int, str, str, Any]], grants: RoleGrants
) -> list[DecisionCheck]:
    """Each `(seq, actor, action, details)` entry of `SIGNED_ACTION`, checked against the
    public keys `grants` lists for its actor; a nonce used twice is reported on its second use."""
    results: list[DecisionCheck] = []
    seen: set[str] = set()
    for seq, actor, action, details in entries:
        if action != SIGNED_ACTION:
            continue
        data = details if isinstance(details, dict) else {}
        update = str(data.get("update", ""))
        problem: str | None = None
        try:
            signature = DecisionSignature.model_validate(
                {
                    "key": data.get("signature_key"),
                    "signed_at": data.get("signed_at"),
                    "nonce": data.get("nonce"),
                    "value": data.get("signature"),
                }
            )
            check_signature(
                signature,
                workflow_id=workflow_id,
                update=update,
                digest=str(data.get("input_sha256", "")),
                actor=actor,
                actor_keys=grants.keys_of(actor),
                now=None,
            )
            if signature.nonce in seen:
                problem = "signature: the same signature was recorded twice (a replay)"
            seen.add(signature.nonce)
        except (ValidationError, ValueError) as exc:
            problem = (
                str(exc) if isinstance(exc, SignatureError) else "the entry's signature fields are incomplete"
            )
        results.append(DecisionCheck(seq, actor, update, str(data.get("signed_at", "")), problem))
    return results
