"""Derives the redaction's name lexicon (dsar/redaction/data/person_names.txt) from the
`names-dataset` package (Philippe Remy, Apache-2.0, https://github.com/philipperemy/name-dataset).

The package is 55 MB and loads into about 3 GB; the product needs only the common names of the
populations the group serves, so this script keeps, per country, the given names and surnames
ranked within a cut-off, in Latin script, and writes one sorted text file (about 1 MB). Run it
again to refresh: the output depends only on the package version and the constants below.

    apt-get install wbritish wamerican   # SCOWL word lists (Kevin Atkinson; free licence)
    python -m venv /tmp/nd && /tmp/nd/bin/pip install names-dataset==3.3.1
    /tmp/nd/bin/python infra/build_name_lexicon.py

Names that are also ordinary English words ("will", "mark", "rose", "bill") are marked `w`:
the detector takes those only with context (a surname after them, a title, a signature).
"""

from __future__ import annotations

import gzip
import pickle
import re
import sys
from pathlib import Path

# The populations the group's customers and staff come from (names-dataset has no Somalia:
# Djibouti and Ethiopia carry the Somali names).
COUNTRIES = (
    "SE NO DK FI IS GB IE US CA AU DE NL BE AT CH FR IT ES PT MX AR CO CL PE "
    "PL CZ LT EE HU RU RS HR SI AL GR CY TR IR AF IQ SY LB JO PS SA AE EG MA DZ TN LY YE KW QA OM SD "
    "DJ ET NG GH IN BD PK CN HK TW SG MY ID PH KR JP"
).split()
GIVEN_RANK = 1200  # per country
SURNAME_RANK = 2500
LATIN = re.compile(r"^[A-Za-zÀ-ÖØ-öø-ÿĀ-žȘ-țḂ-ỿ'’-]{2,}$")
WORD_LISTS = (Path("/usr/share/dict/british-english"), Path("/usr/share/dict/american-english"))
OUT = Path(__file__).resolve().parent.parent / "dsar" / "redaction" / "data" / "person_names.txt"


def _names(path: Path, cut: int) -> set[str]:
    with gzip.open(path, "rb") as f:
        table: dict[str, dict[str, dict[str, float]]] = pickle.load(f)  # noqa: S301 - the package's own file
    keep: set[str] = set()
    for name, info in table.items():
        ranks = info.get("rank") or {}
        if LATIN.match(name) and any(ranks.get(c, cut + 1) <= cut for c in COUNTRIES):
            keep.add(name.lower())
    return keep


def main() -> int:
    import names_dataset  # type: ignore[import-not-found]

    root = Path(names_dataset.__file__).parent / "v3"
    given = _names(root / "first_names.pkl.gz", GIVEN_RANK)
    surnames = _names(root / "last_names.pkl.gz", SURNAME_RANK)
    words = {
        w.strip()
        for p in WORD_LISTS
        for w in p.read_text(encoding="utf-8").splitlines()
        if w.strip().islower()
    }
    lines = [f"g {n}" for n in sorted(given)] + [f"s {n}" for n in sorted(surnames)]
    lines += [f"w {n}" for n in sorted((given | surnames) & words)]
    header = (
        "# Given names (g) and surnames (s), lower case, one a line.\n"
        "# Derived by infra/build_name_lexicon.py from names-dataset 3.3.1\n"
        "# (c) Philippe Remy, Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0).\n"
        "# w: also an English word (SCOWL word lists, (c) Kevin Atkinson, free licence).\n"
        f"# Per country of {len(COUNTRIES)}: given names ranked <= {GIVEN_RANK},"
        f" surnames <= {SURNAME_RANK}.\n"
    )
    OUT.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(given)} given names, {len(surnames)} surnames -> {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
