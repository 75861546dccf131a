"""The local stack's stand-in for the organisation's identity provider, for the codec server.

Production verifies operators' tokens from the real identity provider (a JWKS URL); the
local stack has none, so it keeps an Ed25519 key pair in its state folder (0600), gives
the codec server the public key, and mints a short-lived token for the local operator
(`<state>/codec-operator.jwt`, 0600). The codec server checks these exactly as it checks
production tokens: signature, issuer, audience, expiry.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

LOCAL_ISSUER = "dsar-local-stack"
AUDIENCE = "dsar-codec-server"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)


class LocalIssuer:
    """Signs operator tokens with the local stack's own key."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key

    @classmethod
    def generate(cls) -> LocalIssuer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def in_state(cls, state: Path) -> LocalIssuer:
        """The stack's issuer key, made once and kept (0600) so minted tokens stay valid."""
        path = state / "codec-issuer.key"
        if path.is_file():
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if isinstance(loaded, Ed25519PrivateKey):
                return cls(loaded)
        issuer = cls.generate()
        pem = issuer._key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        _write_private(path, pem)
        return issuer

    def public_key_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def write_public_key(self, path: Path) -> Path:
        path.write_text(self.public_key_pem(), encoding="utf-8")
        return path

    def mint(
        self,
        name: str,
        lifetime: timedelta = timedelta(hours=12),
        now: datetime | None = None,
        issuer: str = LOCAL_ISSUER,
        audience: str = AUDIENCE,
    ) -> str:
        issued = now or datetime.now(UTC)
        claims = {
            "iss": issuer,
            "aud": audience,
            "sub": name,
            "preferred_username": name,
            "iat": int(issued.timestamp()),
            "exp": int((issued + lifetime).timestamp()),
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA")

    def mint_to_file(self, state: Path, name: str) -> Path:
        path = state / "codec-operator.jwt"
        _write_private(path, self.mint(name).encode())
        return path
