"""The mail catcher's folder read as it fills: each saved e-mail's headers once, however
often the folder is scanned (the link e-mails of a batch, the reminders of a storm)."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message
from email.parser import BytesHeaderParser
from pathlib import Path


class NewMails:
    def __init__(self, folder: Path) -> None:
        self._folder = folder
        self._seen: set[str] = set()
        self._parser = BytesHeaderParser()

    def scan(self) -> Iterator[tuple[Message, float]]:
        """The headers and saved time of each e-mail not seen before."""
        for headers, saved, _ in self.scan_files():
            yield headers, saved

    def scan_files(self) -> Iterator[tuple[Message, float, Path]]:
        """`scan`, with each e-mail's file for a caller that reads the body too."""
        for path in self._folder.glob("*.eml"):
            if path.name in self._seen:
                continue
            self._seen.add(path.name)
            with path.open("rb") as file:
                yield self._parser.parse(file), path.stat().st_mtime, path
