"""Verification links: `/v/<token>` names one identity code, signed like a download link.

The same signing keys as download links (DSAR_DOWNLOAD_SIGNING_KEY: the page that checks
both is one process), but a different salt, so a download token can never pass as a
verification token or the other way round. The token names only the code's generated id
and its expiry; the code itself is in the e-mail, and the page asks for it, so a link
seen by someone else (a forwarded mail, a proxy log) is not enough on its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsdangerous import BadData, URLSafeSerializer

from dsar.download_links import InvalidToken, LinkSigner, TokenProblem, load_signed

CHALLENGE_SALT = "dsar-identity-link-v1"
# Six digits: typed from a phone or read out to the privacy team; five tries in 10^6.
IDENTITY_CODE_DIGITS = 6


@dataclass(frozen=True)
class ChallengeClaims:
    challenge_id: uuid.UUID
    expires_at: datetime


class ChallengeSigner:
    def __init__(self, keys: Sequence[str]) -> None:
        LinkSigner(keys)  # the same rules for the keys, and the same error messages
        self._serializer = URLSafeSerializer(list(reversed(keys)), salt=CHALLENGE_SALT)

    @classmethod
    def from_setting(cls, text: str | None) -> ChallengeSigner:
        return cls([k.strip() for k in (text or "").split(",") if k.strip()])

    def sign(self, claims: ChallengeClaims) -> str:
        token: str = self._serializer.dumps(
            {"c": claims.challenge_id.hex, "e": int(claims.expires_at.timestamp())}
        )
        return token

    def verify(self, token: str, now: datetime) -> ChallengeClaims:
        claims = self.claims(token)
        if now >= claims.expires_at:
            raise InvalidToken(TokenProblem.EXPIRED)
        return claims

    def claims(self, token: str) -> ChallengeClaims:
        """Signature only: the page judges expiry from the case store, to say it in the
        person's language and audit it against their request."""
        try:
            data: Any = load_signed(self._serializer, token)
            claims = ChallengeClaims(
                challenge_id=uuid.UUID(hex=data["c"]),
                expires_at=datetime.fromtimestamp(int(data["e"]), UTC),
            )
        except (BadData, KeyError, TypeError, ValueError):
            raise InvalidToken(TokenProblem.TAMPERED) from None
        return claims
