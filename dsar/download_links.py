"""Download links: a signed, expiring token in the URL and a one-time code in another e-mail.

The token names only the link and the package (both generated ids) and when it expires;
it is signed with HMAC-SHA256 by `itsdangerous`, so a changed character is refused. It is
made from DSAR_DOWNLOAD_SIGNING_KEY and not derived from the codec key ring on purpose:
the download page faces the internet, and must never hold the keys that decrypt every
payload and every person's identity. A leaked signing key lets no one read anything; it
only lets someone make links, which still need the code that was e-mailed to the person.

The code is stored as an scrypt hash with its own salt: eight digits are few enough that
a plain hash of a leaked table could be reversed by trying them all.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from itsdangerous import BadData, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

TOKEN_SALT = "dsar-download-link-v1"  # noqa: S105 - a domain label, not a secret
MIN_KEY_LENGTH = 32
CODE_DIGITS = 8
MAX_ATTEMPTS = 5
# About 50 ms and 16 MiB per check: nothing for one person, slow for someone trying them all.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


@dataclass(frozen=True)
class LinkClaims:
    link_id: uuid.UUID
    artefact_id: uuid.UUID
    expires_at: datetime


class TokenProblem(StrEnum):
    TAMPERED = "tampered"  # not made by us, or changed since
    EXPIRED = "expired"  # made by us, but its time is up


class InvalidToken(Exception):
    def __init__(self, problem: TokenProblem, claims: LinkClaims | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        # Set for an expired token: its signature was good, so the ids can be trusted.
        self.claims = claims


class LinkSigner:
    """Signs with the newest key and accepts every listed key, so keys can be rotated."""

    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("DSAR_DOWNLOAD_SIGNING_KEY is not set: download links cannot be signed")
        if any(len(k) < MIN_KEY_LENGTH for k in keys):
            raise ValueError(f"DSAR_DOWNLOAD_SIGNING_KEY: each key needs {MIN_KEY_LENGTH}+ characters")
        # itsdangerous signs with the last key of the list; the setting lists the newest first.
        self._serializer = URLSafeSerializer(list(reversed(keys)), salt=TOKEN_SALT)

    @classmethod
    def from_setting(cls, text: str | None) -> LinkSigner:
        return cls([k.strip() for k in (text or "").split(",") if k.strip()])

    def sign(self, claims: LinkClaims) -> str:
        token: str = self._serializer.dumps(
            {"l": claims.link_id.hex, "a": claims.artefact_id.hex, "e": int(claims.expires_at.timestamp())}
        )
        return token

    def verify(self, token: str, now: datetime) -> LinkClaims:
        try:
            data: Any = load_signed(self._serializer, token)
            claims = LinkClaims(
                link_id=uuid.UUID(hex=data["l"]),
                artefact_id=uuid.UUID(hex=data["a"]),
                expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            )
        except (BadData, KeyError, TypeError, ValueError):
            raise InvalidToken(TokenProblem.TAMPERED) from None
        if now >= claims.expires_at:
            raise InvalidToken(TokenProblem.EXPIRED, claims)
        return claims


def unverified_link_id(signer: LinkSigner, token: str) -> uuid.UUID | None:
    """The link id a damaged token still spells (a cut-off or changed signature), if any.
    Used only to choose the language of the refusal page, never to grant anything."""
    try:
        _, data = signer._serializer.loads_unsafe(token)
        return uuid.UUID(hex=data["l"])
    except (BadData, KeyError, TypeError, ValueError):
        return None


def load_signed(serializer: URLSafeSerializer, token: str) -> Any:
    """The signed payload; raises BadData for any token the signer did not write.

    base64 leaves spare bits in its last character, so a signature spelled another way
    decodes to the same bytes: only the one spelling the signer writes is accepted."""
    signature = token.rpartition(".")[2]
    if base64_encode(base64_decode(signature)).decode("ascii") != signature:
        raise BadData("signature not in canonical form")
    return serializer.loads(token)


def new_signing_key() -> str:
    return secrets.token_urlsafe(48)


def new_code(digits: int = CODE_DIGITS) -> str:
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def display_code(code: str) -> str:
    """`1234 5678`: easier to read out and type than eight digits in a row."""
    half = len(code) // 2
    return f"{code[:half]} {code[half:]}"


def normalise_code(text: str | None, length: int = CODE_DIGITS) -> str | None:
    """What the person typed, without the spaces or dashes people add; None if it cannot be a code."""
    if text is None:
        return None
    digits = "".join(ch for ch in text if ch not in " -\u00a0\t")
    if len(digits) != length or not digits.isascii() or not digits.isdigit():
        return None
    return digits


def _scrypt(salt: bytes) -> Scrypt:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)


def hash_code(code: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(salt).derive(code.encode("ascii"))
    b64 = base64.urlsafe_b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def code_matches(code: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        kdf = Scrypt(salt=base64.urlsafe_b64decode(salt), length=32, n=int(n), r=int(r), p=int(p))
        kdf.verify(code.encode("ascii"), base64.urlsafe_b64decode(digest))
    except (InvalidKey, ValueError):
        return False
    return True
