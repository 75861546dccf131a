"""What every part of the demo data shares: the row type and the fixed moments it is
dated by, never the wall clock, so every run (and every machine) produces byte-identical rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

# One row of a table, in the order of the table's generated columns.
Row = tuple[object, ...]

# The data is a snapshot "as of" this moment; the oldest rows date from EPOCH.
AS_OF = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
EPOCH = datetime(2017, 1, 2, 8, 0, tzinfo=UTC)
