"""The canonical form of a decision, its signature and its checks (dsar/signing.py)."""

from __future__ import annotations

import hashlib
import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from dsar.messages.review import ManualRedaction, ReviewDecision
from dsar.roles import parse_roles
from dsar.signed_audit import check_recorded
from dsar.signing import (
    DecisionSignature,
    SignatureError,
    canonical_form,
    check_signature,
    input_digest,
    load_private_key,
    normalise_public_key,
    public_key_text,
    sign_decision,
    write_new_key,
)
from dsar.signing_client import DecisionSigner, SigningKeyMissing, one_key

AT = datetime(2026, 12, 2, 9, 30, 0, 123456, tzinfo=UTC)
WF = "dsar-DSAR-2026-000123"
KEY = Ed25519PrivateKey.generate()
OTHER = Ed25519PrivateKey.generate()


def test_the_canonical_form_is_sorted_compact_json_with_every_field() -> None:
    form = canonical_form(
        workflow_id=WF, update="approve", digest="ab" * 32, actor="astrid", signed_at=AT, nonce="0" * 32
    )
    assert form == (
        b'{"actor":"astrid","input_sha256":"' + b"ab" * 32 + b'","nonce":"' + b"0" * 32 + b'",'
        b'"signed_at":"2026-12-02T09:30:00.123456+00:00","update":"approve","v":"dsar-decision-v1",'
        b'"workflow_id":"dsar-DSAR-2026-000123"}'
    )
    # The same instant in another zone is the same form; a time without a zone is refused.
    stockholm = AT.astimezone(datetime.now().astimezone().tzinfo)
    assert form == canonical_form(
        workflow_id=WF,
        update="approve",
        digest="ab" * 32,
        actor="astrid",
        signed_at=stockholm,
        nonce="0" * 32,
    )
    with pytest.raises(SignatureError, match="time zone"):
        canonical_form(
            workflow_id=WF,
            update="approve",
            digest="",
            actor="a",
            signed_at=AT.replace(tzinfo=None),
            nonce="",
        )


def test_the_digest_covers_the_input_but_not_its_signature() -> None:
    decision = ManualRedaction(actor="astrid", record_id=7, path="$.note", spans=[(0, 3)], reason="a name")
    expected = json.dumps(
        {"actor": "astrid", "path": "$.note", "reason": "a name", "record_id": 7, "spans": [[0, 3]]},
        sort_keys=True,
        separators=(",", ":"),
    )
    assert input_digest(decision) == hashlib.sha256(expected.encode()).hexdigest()
    signed = decision.model_copy(update={"signature": signature_for(decision)})
    assert input_digest(signed) == input_digest(decision)
    # Decoded from JSON as the workflow receives it, the digest is the same.
    assert input_digest(ManualRedaction.model_validate_json(signed.model_dump_json())) == input_digest(
        decision
    )
    assert input_digest(decision.model_copy(update={"record_id": 8})) != input_digest(decision)


def signature_for(
    decision: ReviewDecision | ManualRedaction, key: Ed25519PrivateKey = KEY, at: datetime = AT
) -> DecisionSignature:
    return sign_decision(
        key, workflow_id=WF, update="approve", message=decision, actor=decision.actor, now=at
    )


def check(decision: ReviewDecision, **changes: object) -> None:
    arguments: dict[str, object] = {
        "workflow_id": WF,
        "update": "approve",
        "digest": input_digest(decision),
        "actor": decision.actor,
        "actor_keys": [public_key_text(KEY.public_key()) + " astrid@laptop"],
        "now": AT + timedelta(seconds=2),
    }
    arguments.update(changes)
    check_signature(decision.signature, **arguments)  # type: ignore[arg-type]


def test_a_signed_decision_verifies_and_every_change_is_refused() -> None:
    decision = ReviewDecision(actor="astrid", note="ok")
    decision = decision.model_copy(update={"signature": signature_for(decision)})
    check(decision)
    nonce = decision.signature.nonce if decision.signature else ""
    refusals: dict[str, dict[str, object]] = {
        "not signed": {"signature_none": True},
        "not one the roles file lists for user 'astrid'": {
            "actor_keys": [public_key_text(OTHER.public_key())]
        },
        "does not match": {"workflow_id": "dsar-DSAR-2026-000124"},
        "does not match this decision": {"update": "refuse"},
        "does not match this decision by user": {
            "digest": input_digest(ReviewDecision(actor="astrid", note="no"))
        },
        "more than 5 minutes": {"now": AT + timedelta(minutes=5, seconds=1)},
        "more than 5 minutes from": {"now": AT - timedelta(minutes=5, seconds=1)},
        "already used": {"seen_nonces": {nonce}},
    }
    for message, change in refusals.items():
        target = (
            decision.model_copy(update={"signature": None})
            if change.pop("signature_none", False)
            else decision
        )
        with pytest.raises(SignatureError, match=message):
            check(target, **change)
    # The actor named is part of what was signed.
    other = decision.model_copy(update={"actor": "bertil"})
    with pytest.raises(SignatureError, match="does not match this decision by user 'bertil'"):
        check(other, digest=input_digest(decision), actor="bertil")
    # Re-checking from the audit trail ignores the age.
    check(decision, now=None)


def test_keys_are_openssh_ed25519_lines_and_anything_else_is_refused_by_name() -> None:
    line = public_key_text(KEY.public_key())
    assert normalise_public_key(f"{line} astrid@laptop") == line
    for bad in ["", "ssh-rsa AAAAB3NzaC1yc2E", "ssh-ed25519 not-base64!", "ssh-ed25519"]:
        with pytest.raises(ValueError, match="public key"):
            normalise_public_key(bad)
    with pytest.raises(ValueError, match=r"users\.astrid\.keys.*OpenSSH Ed25519"):
        parse_roles('[users.astrid]\nroles = ["reviewer"]\nkeys = ["ssh-rsa AAAA"]\n')
    grants = parse_roles(f'[users.astrid]\nroles = ["reviewer"]\nkeys = ["{line} laptop"]\n')
    assert grants.keys_of("astrid") == [line] and grants.keys_of("nobody") == []


def test_key_files_are_written_0600_once_and_read_in_both_formats(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "astrid.key"
    public = write_new_key(path, "astrid@laptop")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public.endswith(" astrid@laptop")
    assert public_key_text(load_private_key(path).public_key()) == normalise_public_key(public)
    with pytest.raises(FileExistsError):
        write_new_key(path, "again")
    pem = tmp_path / "pkcs8.pem"
    pem.write_bytes(
        KEY.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    assert public_key_text(load_private_key(pem).public_key()) == public_key_text(KEY.public_key())
    (tmp_path / "junk").write_text("not a key")
    with pytest.raises(ValueError, match="not an unencrypted Ed25519 private key"):
        load_private_key(tmp_path / "junk")
    with pytest.raises(ValueError, match="dsar keys init"):
        load_private_key(tmp_path / "missing.key")


async def test_the_client_signs_decisions_only_and_only_as_the_key_holder() -> None:
    async def clock() -> datetime:
        return AT

    signer = DecisionSigner(one_key("astrid", lambda: KEY), clock)
    [signed] = await signer.sign(WF, "approve", [ReviewDecision(actor="astrid")])
    assert signed.signature is not None and signed.signature.signed_at == AT
    check(signed)
    assert await signer.sign(WF, "approve", ["not a decision"]) == ["not a decision"]
    with pytest.raises(SigningKeyMissing, match="for user 'bertil' as 'astrid'"):
        await signer.sign(WF, "approve", [ReviewDecision(actor="bertil")])


def test_the_audit_trail_entries_are_checked_again_and_tampering_is_found() -> None:
    decision = ReviewDecision(actor="astrid")
    signature = signature_for(decision)
    details = {
        "update": "approve",
        "input_sha256": input_digest(decision),
        "signature_key": signature.key,
        "signed_at": signature.signed_at.isoformat(),
        "nonce": signature.nonce,
        "signature": signature.value,
    }
    grants = parse_roles(f'[users.astrid]\nroles = ["reviewer"]\nkeys = ["{signature.key}"]\n')
    entries = [
        (1, "astrid", "decision.signed", details),
        (2, "dsar-workflow", "status.packaging", {}),
        (3, "astrid", "decision.signed", details | {"update": "refuse"}),
        (4, "astrid", "decision.signed", details),
        (5, "astrid", "decision.signed", {"update": "approve"}),
    ]
    results = check_recorded(WF, entries, grants)
    assert [(r.seq, r.problem is None) for r in results] == [(1, True), (3, False), (4, False), (5, False)]
    assert "does not match" in (results[1].problem or "")
    assert "recorded twice" in (results[2].problem or "")
    assert "incomplete" in (results[3].problem or "")
