"""The name lexicon: given names and surnames of the populations the group serves, and the
words and brands that look like names but are not a person.

`data/person_names.txt` is derived from the names-dataset package (Apache-2.0) by
`infra/build_name_lexicon.py`; `data/not_names.txt` is kept by hand. Both are loaded once per
process (`lexicon()` is cached): about 135,000 short strings in frozensets, 18 MB resident, shared
by every detector the process builds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
PERSON_NAMES = DATA / "person_names.txt"
NOT_NAMES = DATA / "not_names.txt"


@dataclass(frozen=True)
class Lexicon:
    given: frozenset[str]  # lower case
    surnames: frozenset[str]
    words: frozenset[str]  # names that are also ordinary words: taken only with context
    not_names: frozenset[str]  # single words never taken as a name on their own
    brands: frozenset[str]  # phrases ("john lewis") that are companies, not people

    def is_given(self, word: str) -> bool:
        return word in self.given and word not in self.not_names


@cache
def lexicon() -> Lexicon:
    given: set[str] = set()
    surnames: set[str] = set()
    words: set[str] = set()
    for line in PERSON_NAMES.read_text(encoding="utf-8").splitlines():
        tag, _, name = line.partition(" ")
        if tag == "g":
            given.add(name)
        elif tag == "s":
            surnames.add(name)
        elif tag == "w":
            words.add(name)
    not_names: set[str] = set()
    brands: set[str] = set()
    section = ""
    for line in NOT_NAMES.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("##"):
            section = "brands" if "brand" in line.lower() else "words" if "ambiguous" in line.lower() else ""
            continue
        if not line or line.startswith("#"):
            continue
        if section == "brands":
            brands.add(line)
            if " " not in line:
                not_names.add(line)
        elif section == "words":
            words.update(line.split())  # names, but only with context
        else:
            not_names.update(line.split())
    return Lexicon(
        frozenset(given), frozenset(surnames), frozenset(words), frozenset(not_names), frozenset(brands)
    )
