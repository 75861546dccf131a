"""Other people's data in collected text files: bulk table parts (CSV) and uploaded exports.

Records are scanned when collection is done and their findings reviewed; files are too big
for per-finding review (a bulk part holds 100,000 rows), so they are scanned line by line
while the package is built, with the same detector, and each file's removals are counted by
kind for the redaction log. A file that is not UTF-8 text (a photo, a recording) is copied
as it is. The redacted copy is spooled to disk, never held whole in memory.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO

from dsar.redaction import Detector

_SNIFF = 64 * 1024
_SPOOL = 4 * 1024 * 1024  # all files of a package are spooled before zipping: keep memory small


@dataclass
class ScannedFile:
    """The file's redacted copy (rewound) and how many values of each kind were removed."""

    body: IO[bytes]
    removed: Counter[str] = field(default_factory=Counter)
    text: bool = False


def is_text(head: bytes) -> bool:
    """UTF-8 without NUL bytes in the first 64 KB (a cut multi-byte character at the end allowed)."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3
    return True


def redact_file(chunks: Iterable[bytes], detector: Detector) -> ScannedFile:
    """Copies a file, redacting each line of a text file; counts removals by kind."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL)
    scanned = ScannedFile(spool)
    pending = b""
    decided: bool | None = None
    for chunk in chunks:
        if decided is None:
            pending += chunk
            if len(pending) < _SNIFF:
                continue
            decided = is_text(pending[:_SNIFF])
        else:
            pending += chunk
        if not decided:
            spool.write(pending)
            pending = b""
            continue
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            spool.write(_redact_line(line, detector, scanned.removed) + b"\n")
    if decided is None:
        decided = is_text(pending)
    if pending:
        spool.write(_redact_line(pending, detector, scanned.removed) if decided else pending)
    scanned.text = decided
    spool.seek(0)
    return scanned


def _redact_line(line: bytes, detector: Detector, removed: Counter[str]) -> bytes:
    text = line.decode("utf-8", errors="replace")
    redacted, applied, _ = detector.redact_text(text)
    if not applied:
        return line
    removed.update(f.kind.value for f in applied)
    return redacted.encode("utf-8")
