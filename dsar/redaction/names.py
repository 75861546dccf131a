"""Names in free text: capitalised phrases that may be a person's name, and their keyed
fingerprints, so the group's known names can be matched without storing them in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from dsar.redaction.own import name_key

_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
# Lower-case words that belong inside a name ("Sanne de Vries", "Jan van der Berg").
NAME_PARTICLES = frozenset(
    {"af", "av", "da", "de", "del", "den", "der", "di", "du", "la", "le", "ten", "ter", "van", "von"}
)
_MAX_NAME_WORDS = 4


@dataclass(frozen=True)
class NameCandidate:
    """A capitalised phrase that may be a person's name, normalised like known names.

    `given` is its first word when the phrase is shaped like a given name and a surname
    (two capitalised words, particles between them allowed): such a phrase counts as a
    name when the group knows the first word as somebody's given name, which is how a
    colleague quoted in a ticket ("my colleague Lars Ek") is found without being a
    customer anywhere."""

    phrase: str
    given: str | None


def name_candidates(text: str) -> set[NameCandidate]:
    """Every phrase of 2-4 words that starts and ends with a capitalised word, inside a run
    of words separated by spaces only (a comma, full stop or line break ends a run)."""
    found: set[NameCandidate] = set()
    run: list[str] = []
    last_end = -1
    for m in _NAME_WORD.finditer(text):
        word = m.group()
        capitalised = word[0].isupper()
        joined = last_end >= 0 and text[last_end : m.start()] in (" ", "\t", "\u00a0")
        if not joined or not (capitalised or word.lower() in NAME_PARTICLES):
            _run_candidates(run, found)
            run = []
        if capitalised or (run and word.lower() in NAME_PARTICLES):
            run.append(word)
        last_end = m.end()
    _run_candidates(run, found)
    return found


def _run_candidates(run: list[str], found: set[NameCandidate]) -> None:
    for i, first in enumerate(run):
        if not first[0].isupper():
            continue
        for j in range(i + 1, min(len(run), i + _MAX_NAME_WORDS)):
            last = run[j]
            if not last[0].isupper() or len(last) < 2:  # "May I", an initial: no surname
                continue
            words = run[i : j + 1]
            shaped = all(not w[0].isupper() for w in words[1:-1])  # given, particles, surname
            found.add(NameCandidate(name_key(" ".join(words)), name_key(first) if shaped else None))


def name_fingerprint(key: bytes, kind: str, name: str) -> str:
    """Keyed, so a list of fingerprints cannot be reversed by hashing a names dictionary."""
    message = f"{kind}:{name_key(name)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]
