"""Who is decoding: the codec server's operators, from per-user access tokens (JWTs).

The Temporal UI passes the signed-in user's access token to the codec server as
`Authorization: Bearer <token>` (`TEMPORAL_CODEC_PASS_ACCESS_TOKEN=true`), never in the
URL: a token in the codec URL was handed to anyone who could load the UI's settings, and
every user decoded as the same operator. Here each token is verified with PyJWT against
the organisation's identity provider (its JWKS URL, or a public key file), with issuer,
audience and expiry required; the operator's name comes from the token, so every decode
log line names the person who asked.

Only asymmetric algorithms are accepted: a key meant for verifying must never be usable as
an HMAC secret (the classic "alg confusion"). The local stack has its own issuer
(`devstack.codec_issuer`), verified the same way.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA")
_NAME = re.compile(r"^[^\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]{1,200}$")


class TokenRefused(Exception):
    """Why a token was refused, in words that never repeat the token."""


@dataclass(frozen=True)
class OperatorTokens:
    """Verifies operators' access tokens.

    `public_key` (PEM) for a fixed key, or `jwks_url` for the identity provider's key set
    (fetched and cached by PyJWT's `PyJWKClient`, keys picked by the token's `kid`)."""

    issuer: str
    audience: str | None
    public_key: str | None = None
    jwks_url: str | None = None
    name_claim: str = "preferred_username"
    leeway_seconds: int = 30
    _jwks: jwt.PyJWKClient | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if (self.public_key is None) == (self.jwks_url is None):
            raise ValueError("set exactly one of DSAR_CODEC_JWKS_URL and DSAR_CODEC_JWT_PUBLIC_KEY_FILE")
        if self.jwks_url is not None:
            object.__setattr__(self, "_jwks", jwt.PyJWKClient(self.jwks_url, cache_keys=True, lifespan=600))

    @classmethod
    def from_settings(
        cls,
        *,
        issuer: str | None,
        audience: str | None,
        jwks_url: str | None,
        public_key_file: str | None,
        name_claim: str,
    ) -> OperatorTokens:
        if not issuer:
            raise ValueError(
                "DSAR_CODEC_JWT_ISSUER is not set: the codec server verifies each operator's access"
                " token from the organisation's identity provider (docs/delivery-security.md)"
            )
        key = None
        if public_key_file:
            path = Path(public_key_file)
            if not path.is_file():
                raise ValueError("DSAR_CODEC_JWT_PUBLIC_KEY_FILE does not name a readable file")
            key = path.read_text(encoding="utf-8")
        return cls(issuer=issuer, audience=audience, public_key=key, jwks_url=jwks_url, name_claim=name_claim)

    async def operator(self, header: str | None) -> str:
        """The operator's name from `Authorization: Bearer <token>`; TokenRefused otherwise."""
        if not header or not header.startswith("Bearer "):
            raise TokenRefused("no access token (Authorization: Bearer)")
        token = header.removeprefix("Bearer ").strip()
        key: Any = self.public_key
        try:
            if self._jwks is not None:
                # A key-set fetch is blocking I/O (urllib), cached after the first call.
                key = (await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)).key
            claims: Mapping[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=list(ALGORITHMS),
                issuer=self.issuer,
                audience=self.audience,
                leeway=self.leeway_seconds,
                options={
                    "require": ["exp", "iat", "iss", "sub"] + (["aud"] if self.audience else []),
                    "verify_aud": self.audience is not None,
                },
            )
        except jwt.ExpiredSignatureError:
            raise TokenRefused("access token expired") from None
        except (jwt.PyJWTError, ValueError) as exc:
            raise TokenRefused(f"access token not valid ({type(exc).__name__})") from None
        name = claims.get(self.name_claim) or claims.get("sub")
        if not isinstance(name, str) or not _NAME.match(name):
            raise TokenRefused(f"access token names no operator (claim {self.name_claim!r} or 'sub')")
        return name
