"""Signed decisions: who decided is proven by a key, not claimed by a string.

Every human decision (an Update on a request's workflow) carries an Ed25519 signature over
a canonical form of the decision: the workflow id, the Update's name, the SHA-256 of the
Update's input without the signature, the actor, a timestamp and a random nonce. The
workflow's validator checks it against the public keys the roles file lists for the actor
(pure computation on data the workflow holds, so it is deterministic), and the audit trail
keeps it so that anyone can check the decision again later (`dsar audit --verify-signatures`).

Keys are OpenSSH-style Ed25519 keys: the roles file lists public keys as `ssh-ed25519 AAAA...`
lines (a comment after the key is ignored), and a private key file is either the OpenSSH
format that `dsar keys init` and `ssh-keygen -t ed25519` write, or PKCS#8 PEM. This module
does no I/O except `load_private_key` and `write_new_key`, which the CLI and workers call.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# A decision signed longer ago (or further ahead) than this, by the workflow's clock, is refused.
SIGNATURE_WINDOW = timedelta(minutes=5)
# How a refusal for age ends: a sender that sees it knows the decision was not applied and
# that signing it again is the cure (the pipeline benchmark's driver does so).
SIGN_AGAIN = "sign the decision again"
# Changes only with the canonical form below; old signatures keep verifying under their version.
CANONICAL_VERSION = "dsar-decision-v1"
_KEY_TYPE = "ssh-ed25519"


class DecisionSignature(BaseModel):
    """What travels with a decision: which key signed, when, the nonce and the signature."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str = Field(min_length=20, max_length=200)  # "ssh-ed25519 AAAA..." without a comment
    signed_at: AwareDatetime
    nonce: str = Field(pattern=r"^[0-9a-f]{32}$")
    value: str = Field(min_length=80, max_length=100)  # base64 of the 64-byte Ed25519 signature


class SignatureError(ValueError):
    """A decision whose signature is missing or does not prove its actor; the text says which."""


def _canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def input_digest(message: BaseModel) -> str:
    """SHA-256 (hex) of the Update's input without its signature, field order and spacing aside.

    The fields are dumped as JSON the way the data converter sends them, so the CLI and the
    workflow, which sees the model after the payload was decoded, compute the same digest.
    """
    data = message.model_dump(mode="json", exclude={"signature"})
    return hashlib.sha256(_canonical_json(data)).hexdigest()


def canonical_form(
    *, workflow_id: str, update: str, digest: str, actor: str, signed_at: datetime, nonce: str
) -> bytes:
    """The exact bytes that are signed: one JSON object with sorted keys and no spaces."""
    if signed_at.tzinfo is None:
        raise SignatureError("signature: the time it was made must carry a time zone")
    return _canonical_json(
        {
            "v": CANONICAL_VERSION,
            "workflow_id": workflow_id,
            "update": update,
            "input_sha256": digest,
            "actor": actor,
            "signed_at": signed_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "nonce": nonce,
        }
    )


def public_key_text(key: Ed25519PublicKey) -> str:
    """The key as the roles file lists it: `ssh-ed25519 AAAA...` (no comment)."""
    return key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def normalise_public_key(text: str) -> str:
    """`ssh-ed25519 AAAA... comment` as `ssh-ed25519 AAAA...`; refuses anything else by name."""
    parts = text.split()
    if len(parts) < 2 or parts[0] != _KEY_TYPE:
        raise ValueError(f"a public key must read '{_KEY_TYPE} AAAA...' (an OpenSSH Ed25519 public key)")
    try:
        key = serialization.load_ssh_public_key(f"{parts[0]} {parts[1]}".encode())
    except (ValueError, UnsupportedAlgorithm, binascii.Error):
        raise ValueError("a public key is not a valid OpenSSH Ed25519 key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("a public key must be an Ed25519 key")
    return public_key_text(key)


def sign_decision(
    private_key: Ed25519PrivateKey,
    *,
    workflow_id: str,
    update: str,
    message: BaseModel,
    actor: str,
    now: datetime,
) -> DecisionSignature:
    """Sign one decision for one workflow and one Update, with a fresh nonce."""
    nonce = secrets.token_hex(16)
    form = canonical_form(
        workflow_id=workflow_id,
        update=update,
        digest=input_digest(message),
        actor=actor,
        signed_at=now,
        nonce=nonce,
    )
    return DecisionSignature(
        key=public_key_text(private_key.public_key()),
        signed_at=now.astimezone(UTC),
        nonce=nonce,
        value=base64.b64encode(private_key.sign(form)).decode(),
    )


def check_signature(
    signature: DecisionSignature | None,
    *,
    workflow_id: str,
    update: str,
    digest: str,
    actor: str,
    actor_keys: list[str],
    now: datetime | None,
    seen_nonces: set[str] | frozenset[str] = frozenset(),
) -> None:
    """Raises `SignatureError` unless `actor` signed exactly this decision with a listed key.

    `now` is the workflow's clock (None when re-checking an old decision from the audit
    trail: its age is then no reason to refuse it). No I/O, no randomness: fit for a validator.
    """
    if signature is None:
        raise SignatureError(
            "signature: the decision is not signed; send it with the dsar command and your key"
            " (DSAR_SIGNING_KEY_FILE, see `dsar keys init`)"
        )
    listed = set()
    for text in actor_keys:
        try:
            listed.add(normalise_public_key(text))
        except ValueError:
            continue  # a broken line in the roles file proves nobody
    if signature.key not in listed:
        raise SignatureError(f"signature: the key is not one the roles file lists for user '{actor}'")
    if now is not None:
        if abs(now - signature.signed_at) > SIGNATURE_WINDOW:
            minutes = int(SIGNATURE_WINDOW.total_seconds() // 60)
            raise SignatureError(
                f"signature: made at {signature.signed_at.isoformat(timespec='seconds')}, more than"
                f" {minutes} minutes from the workflow's time; {SIGN_AGAIN}"
            )
        if signature.nonce in seen_nonces:
            raise SignatureError("signature: this signature was already used for a decision (a replay)")
    form = canonical_form(
        workflow_id=workflow_id,
        update=update,
        digest=digest,
        actor=actor,
        signed_at=signature.signed_at,
        nonce=signature.nonce,
    )
    try:
        key = serialization.load_ssh_public_key(signature.key.encode())
        assert isinstance(key, Ed25519PublicKey)
        key.verify(base64.b64decode(signature.value, validate=True), form)
    except (InvalidSignature, ValueError, binascii.Error):
        raise SignatureError(
            f"signature: it does not match this decision by user '{actor}' (wrong key, another"
            " request or Update, or an input changed after signing)"
        ) from None


def default_key_path(user: str, keys_dir: str | None = None) -> Path:
    """Where a person's private key lives unless told: `<keys_dir>/<user>.key`, by default
    under `~/.config/dsar/keys` (the local stack points `DSAR_KEYS_DIR` at its own folder)."""
    folder = Path(keys_dir) if keys_dir else Path.home() / ".config" / "dsar" / "keys"
    return folder / f"{user}.key"


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    """A private key file: OpenSSH (`dsar keys init`, `ssh-keygen -t ed25519`) or PKCS#8 PEM.

    Raises ValueError naming the rule broken, never the key's content.
    """
    file = Path(path)
    if not file.is_file():
        raise ValueError(f"the signing key file {file} does not exist; make one with `dsar keys init`")
    data = file.read_bytes()
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key: Any = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ValueError(f"the signing key file {file} is not an unencrypted Ed25519 private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"the signing key file {file} must hold an Ed25519 key")
    return key


def write_new_key(path: Path, comment: str) -> str:
    """Make a key pair, write the private key 0600 (never over an existing file); return the
    public key line (`ssh-ed25519 AAAA... comment`)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return f"{public_key_text(key.public_key())} {comment}"
