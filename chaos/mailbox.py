"""The SMTP catcher's folder, read by headers only and cached: what was mailed, how often.

Every product e-mail carries `X-DSAR-Reference`, `X-DSAR-Kind` and (when a request can
receive several of a kind) `X-DSAR-Occasion`; one (kind, occasion) is one e-mail the
person or a team should receive exactly once.
"""

from __future__ import annotations

from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from pathlib import Path

Key = tuple[str, str]  # (kind, occasion)


class MailBox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seen: dict[str, tuple[str, str, str]] = {}  # file name -> (reference, kind, occasion)

    def _scan(self) -> None:
        parser = BytesHeaderParser()
        for path in self.folder.glob("*.eml"):
            if path.name in self._seen:
                continue
            with path.open("rb") as handle:
                headers = parser.parse(handle)
            self._seen[path.name] = (
                str(headers.get("X-DSAR-Reference", "")),
                str(headers.get("X-DSAR-Kind", "")),
                str(headers.get("X-DSAR-Occasion", "")),
            )

    def counts(self, reference: str) -> Counter[Key]:
        self._scan()
        return Counter((kind, occasion) for ref, kind, occasion in self._seen.values() if ref == reference)

    def has(self, reference: str, *, kind: str | None = None, occasion: str | None = None) -> bool:
        return any(
            (kind is None or k == kind) and (occasion is None or o == occasion)
            for k, o in self.counts(reference)
        )

    def text(self, reference: str, kind: str) -> str | None:
        """The plain-text body of the request's first e-mail of that kind (e.g. the identity code)."""
        self._scan()
        for name, (ref, k, _) in sorted(self._seen.items()):
            if ref == reference and k == kind:
                with (self.folder / name).open("rb") as handle:
                    message = BytesParser(policy=policy.default).parse(handle)
                assert isinstance(message, EmailMessage)
                body = message.get_body(preferencelist=("plain",))
                return str(body.get_content()) if body is not None else None
        return None
