"""Column widths for the report's tables: every column wide enough to be read, and a table
with more columns than a page holds shown in parts.

Widths start as shares from what the columns hold (`report_pdf._widths`). A table of many
columns with long values left a short column (a record number) under 5 mm: less than its
padding and one character, and fpdf2 refuses to lay that out ("Not enough horizontal space
to render a single character"), so the whole package failed for that person, on every
retry. Now each column gets at least MIN_COLUMN_MM; where the page cannot give every column
that much, the table is shown in parts of as many columns as fit, each part repeating the
first column (the record's number or name) so its rows can be matched up.
"""

from __future__ import annotations

from collections.abc import Sequence

# About seven characters at the tables' 7.5 pt, inside 1 mm of padding on each side.
MIN_COLUMN_MM = 12.0


def floored_widths(shares: Sequence[float], total: float, minimum: float = MIN_COLUMN_MM) -> list[float]:
    """Widths in mm summing to `total`, in proportion to `shares`, none under `minimum`.

    Columns under the floor are raised to it and the rest of the room shared among the
    others by their shares, until none is under it. Needs len(shares) * minimum <= total."""
    if len(shares) * minimum > total + 1e-9:
        raise ValueError(f"{len(shares)} columns of at least {minimum} mm do not fit in {total:.0f} mm")
    floored: set[int] = set()
    while True:
        free = [i for i in range(len(shares)) if i not in floored]
        room = total - minimum * len(floored)
        weight = sum(shares[i] for i in free) or 1.0
        widths = [minimum if i in floored else room * shares[i] / weight for i in range(len(shares))]
        under = {i for i in free if widths[i] < minimum}
        if not under:
            return widths
        floored |= under


def column_parts(columns: int, total: float, minimum: float = MIN_COLUMN_MM) -> list[list[int]]:
    """The column indexes of each part of the table: all in one part where they fit, else
    the first column followed by as many others as fit, part after part."""
    fit = int(total // minimum)
    if columns <= fit:
        return [list(range(columns))]
    per_part = max(1, fit - 1)
    rest = list(range(1, columns))
    return [[0, *rest[start : start + per_part]] for start in range(0, len(rest), per_part)]
