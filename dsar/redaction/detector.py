"""Finding other people's identifiers in free text, and redacting a whole record.

The findings never hold the removed value: only its kind, where it was, why it was
removed and (when a key is given) a keyed fingerprint that lets a reviewer keep the same
value everywhere without seeing it stored.
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from dsar.domain import SubjectIdentity
from dsar.redaction.kinds import (
    CHECKSUMMED,
    DIGITS_ONLY,
    PHONE_REGIONS,
    REASONS,
    REPLACEMENTS,
    TIER,
    Hit,
    Kind,
)
from dsar.redaction.numbers import NON_DIGIT, cards, ibans, ninos, se_numbers, vat_numbers
from dsar.redaction.own import OwnIdentifiers, compact, name_key
from dsar.redaction.people import find_names
from dsar.redaction.shapes import addresses, births, ip_addresses, vehicles
from dsar.redaction.spans import child_path

# Compiled once: the detector runs over every string of every collected record.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Where a phone number may be; phonenumbers then decides (it is the slow part, so it only
# sees these windows, with one character of context either side).
# SE and GB numbers are written with a country code or a leading 0 (trunk prefix).
_PHONE_WINDOW = re.compile(r"(?<![\w+#/.,-])(?:\+|\(|0)(?:[\d \t\u00a0()\-/]|\.(?=\d))*\d")
# Dates and personnummer shapes are valid phone numbers often enough to matter; a phone
# number is never written like them.
_NOT_A_PHONE = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{2,4}|\d{4}-\d{2}-\d{2}|\d{6}(?:\d\d)?[-+]\d{4}")
# Dates and times, cut out of phone windows: "Note 07.07.2021 17:30" holds no phone number.
_DATE_OR_TIME = re.compile(
    r"\d{1,2}([./-])\d{1,2}\1\d{2,4}|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[:.]\d{2}(?::\d{2})?(?!\d)"
)
_REFERENCE_BEFORE = re.compile(
    r"(?:order|ordernr|ordernummer|invoice|faktura|fakturanr|fakturanummer|ref|referens|reference"
    r"|ärende|ärendenr|ticket|case|kundnummer|customer)\.?\s*(?:nr\.?|no\.?|number|nummer)?\s*[:#]?\s*\Z",
    re.IGNORECASE,
)
_UUID = re.compile(r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])")
_MIN_PHONE_DIGITS = 7
_ANY_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Finding:
    """One piece of another person's data: what, where and why, never the value itself."""

    id: str  # stable from path, kind and span, so a reviewer's "keep" survives a re-scan
    kind: Kind
    path: str  # JSON path of the field within the record, e.g. $.notes[2].body
    start: int
    end: int
    reason: str
    replacement: str
    # Keyed HMAC of the normalised value, only when the detector has a key: an unkeyed hash
    # of a phone or personnummer is reversed by trying every number.
    fingerprint: str | None = None


@dataclass(frozen=True)
class RedactionResult:
    record: dict[str, Any]
    findings: tuple[Finding, ...]  # applied
    kept: tuple[Finding, ...] = ()  # detected, but a reviewer decided to keep them


@dataclass
class Detector:
    """Finds other people's identifiers in free text for one request.

    `known_names` are names of people the group's systems know about: the first signal.
    Other names are found by `people.find_names` (lexicon and context) unless
    `lexicon_names` is off (the first benchmark measures the known names alone).
    """

    own: OwnIdentifiers
    known_names: Iterable[str] = ()
    key: bytes | None = None
    phone_regions: tuple[str, ...] = PHONE_REGIONS
    lexicon_names: bool = True
    _names: re.Pattern[str] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        # The person's own name joins the pattern so that, at a position where it matches,
        # it wins over a shorter known name inside it; its matches are then dropped.
        keys = {name_key(n) for n in self.known_names if n.strip()} | set(self.own.names)
        if keys:
            tokens = [tuple(k.split(" ")) for k in keys]
            self._names = re.compile(
                r"(?<!\w)" + _trie_pattern(tokens) + r"(?=(?:['’]s?|s)?(?!\w))", re.IGNORECASE
            )

    @classmethod
    def for_subject(
        cls, identity: SubjectIdentity, known_names: Iterable[str] = (), key: bytes | None = None
    ) -> Detector:
        return cls(OwnIdentifiers.from_identity(identity), tuple(known_names), key)

    def find(self, text: str, path: str = "$") -> list[Finding]:
        """Findings in one string, ordered by position, overlaps already resolved."""
        return [self._finding(path, hit) for hit in self._hits(text)]

    def redact_text(
        self, text: str, path: str = "$", keep: Iterable[str] = ()
    ) -> tuple[str, list[Finding], list[Finding]]:
        """The redacted text, the findings applied and those kept by `keep` (ids or fingerprints)."""
        keep_set = frozenset(keep)
        applied: list[Finding] = []
        kept: list[Finding] = []
        for finding in self.find(text, path):
            if finding.id in keep_set or (finding.fingerprint and finding.fingerprint in keep_set):
                kept.append(finding)
            else:
                applied.append(finding)
        return _apply(text, applied), applied, kept

    # -- detection ----------------------------------------------------------------------

    def _hits(self, text: str) -> list[Hit]:
        strong: list[Hit] = []
        if "@" in text:
            strong.extend(self._emails(text))
        has_digits = _ANY_DIGIT.search(text) is not None
        shapes: list[tuple[int, int]] = []  # IBAN- or card-shaped but failing the check
        if has_digits:
            strong.extend(se_numbers(text, self.phone_regions))
            strong.extend(ibans(text, shapes))
            strong.extend(cards(text, shapes))
            strong.extend(ninos(text))
            strong.extend(vat_numbers(text))
            strong.extend(addresses(text))
            strong.extend(vehicles(text))
            strong.extend(ip_addresses(text))
            strong.extend(births(text))
        known = list(self._name_hits(text)) if self._names is not None else []
        strong.extend(known)
        if self.lexicon_names:
            # The group's known names are the first signal: where one matched, its span stands.
            spans = [(h.start, h.end) for h in known]
            strong.extend(
                Hit(Kind.NAME, start, end, key, REASONS[Kind.NAME])
                for start, end, key in find_names(text)
                if not any(a < end and start < b for a, b in spans)
            )
        covered = sorted([(h.start, h.end) for h in strong if h.kind in CHECKSUMMED] + shapes)
        hits = strong + (list(self._phones(text, covered)) if has_digits else [])
        if shapes:
            shapes.sort()
            hits = [h for h in hits if h.kind not in DIGITS_ONLY or not _overlaps(shapes, h.start, h.end)]
        if "-" in text and (uuids := [m.span() for m in _UUID.finditer(text)]):
            # A device or record id: its digit groups may pass a card's or personnummer's check.
            hits = [h for h in hits if not _overlaps(uuids, h.start, h.end)]
        return [h for h in resolve(hits) if not self._is_own(h)]

    def _emails(self, text: str) -> Iterator[Hit]:
        for m in _EMAIL.finditer(text):
            value = m.group().rstrip(".")
            yield Hit(Kind.EMAIL, m.start(), m.start() + len(value), value.lower(), REASONS[Kind.EMAIL])

    def _name_hits(self, text: str) -> Iterator[Hit]:
        assert self._names is not None
        for m in self._names.finditer(text):
            yield Hit(Kind.NAME, m.start(), m.end(), name_key(m.group()), REASONS[Kind.NAME])

    def _phones(self, text: str, covered: list[tuple[int, int]]) -> Iterator[Hit]:
        seen: set[tuple[int, int]] = set()
        for window in self._phone_windows(text):
            start, end = window.span()
            raw = window.group()
            digits = len(NON_DIGIT.sub("", raw))
            if digits < _MIN_PHONE_DIGITS:
                continue
            i = bisect.bisect_right(covered, (start, len(text))) - 1
            if i >= 0 and covered[i][1] >= end:
                continue  # wholly inside an IBAN, card or personnummer: it would lose anyway
            if _REFERENCE_BEFORE.search(text, max(0, start - 24), start):
                continue  # "order 02107924" is an order number, whatever its digits allow
            for hit in self._phone_window(text, start, end, raw, digits):
                if (hit.start, hit.end) not in seen and not _NOT_A_PHONE.fullmatch(text, hit.start, hit.end):
                    seen.add((hit.start, hit.end))
                    yield hit

    def _phone_windows(self, text: str) -> Iterator[re.Match[str]]:
        """Phone windows, with dates and times cut out of the text they search."""
        if _DATE_OR_TIME.search(text) is not None:
            text = _DATE_OR_TIME.sub(lambda m: "x" * len(m.group()), text)
        return _PHONE_WINDOW.finditer(text)

    def _phone_window(self, text: str, start: int, end: int, raw: str, digits: int) -> Iterator[Hit]:
        if raw.startswith("(") and ")" not in raw:
            start, raw = start + 1, raw[1:]  # "(070-..., ...)": the bracket is prose
        # Fast path: most windows hold one number, and parsing it is a fraction of the
        # matcher's cost; two numbers in one window (more than 15 digits, or a slash) go
        # through the matcher, which splits them.
        if digits <= 15 and "/" not in raw:
            for region in self.phone_regions:
                try:
                    number = phonenumbers.parse(raw, region)
                except phonenumbers.NumberParseException:
                    break
                if phonenumbers.is_valid_number(number) or (
                    number.country_code == 44 and digits >= 10 and phonenumbers.is_possible_number(number)
                ):
                    # Possible but unallocated (Ofcom's drama ranges, 07700 900xxx): still
                    # written as somebody's phone number, so removed all the same.
                    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                    yield Hit(Kind.PHONE, start, end, e164, REASONS[Kind.PHONE])
                    return
                if raw.startswith("+"):
                    break  # a country code reads the same whatever the region
            if digits <= 12:
                return
        lo, hi = max(0, start - 1), min(len(text), end + 1)
        chunk = text[lo:hi]
        for region in self.phone_regions:
            for match in phonenumbers.PhoneNumberMatcher(chunk, region):
                first = lo + match.start
                if match.raw_string.startswith("(") and ")" not in match.raw_string:
                    first += 1
                e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
                yield Hit(Kind.PHONE, first, lo + match.end, e164, REASONS[Kind.PHONE])

    def _is_own(self, hit: Hit) -> bool:
        own = self.own
        if hit.kind is Kind.EMAIL:
            return hit.value in own.emails
        if hit.kind is Kind.PHONE:
            return hit.value in own.phones or compact(hit.value) in own.customer_numbers
        if hit.kind is Kind.NAME:
            return hit.value in own.names or hit.value in own.name_parts
        if hit.kind is Kind.ADDRESS:
            return hit.value in own.postcodes
        if hit.kind is Kind.DOB:
            return hit.value in own.birth_dates
        if hit.kind in (Kind.VEHICLE, Kind.IP):
            return False
        if hit.kind in (Kind.PERSONNUMMER, Kind.NINO):
            return hit.value in own.national_ids
        return compact(hit.value) in own.customer_numbers

    def _finding(self, path: str, hit: Hit) -> Finding:
        fingerprint = None
        if self.key is not None:
            message = f"{hit.kind}:{hit.value}".encode()
            fingerprint = hmac.new(self.key, message, hashlib.sha256).hexdigest()[:32]
        return Finding(
            id=finding_id(path, hit.kind, hit.start, hit.end),
            kind=hit.kind,
            path=path,
            start=hit.start,
            end=hit.end,
            reason=hit.reason,
            replacement=REPLACEMENTS[hit.kind],
            fingerprint=fingerprint,
        )


def finding_id(path: str, kind: str, start: int, end: int) -> str:
    """Deterministic, so a reviewer's decision can name a finding across re-scans of the same record."""
    digest = hashlib.sha256(f"{path}\x00{kind}\x00{start}:{end}".encode()).hexdigest()
    return f"f-{digest[:16]}"


def redact_record(
    record: Mapping[str, Any], detector: Detector, *, keep: Iterable[str] = ()
) -> RedactionResult:
    """Redacts every string in a collected record (nested dicts and lists included).

    `keep` holds finding ids or fingerprints a reviewer decided to keep; those findings are
    reported in `kept` and their text stays. The record itself is not modified.
    """
    keep_set = frozenset(keep)
    applied: list[Finding] = []
    kept: list[Finding] = []

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, str):
            text, done, spared = detector.redact_text(value, path, keep_set)
            applied.extend(done)
            kept.extend(spared)
            return text
        if isinstance(value, Mapping):
            return {k: walk(v, child_path(path, k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    redacted = {k: walk(v, child_path("$", k)) for k, v in record.items()}
    return RedactionResult(redacted, tuple(applied), tuple(kept))


def resolve(hits: list[Hit]) -> list[Hit]:
    """Overlaps: the more specific kind wins (checksummed over e-mail over name over phone),
    then the longer span. Greedy over a sorted list keeps it near-linear."""
    if len(hits) < 2:
        return hits
    starts: list[int] = []  # of the chosen spans, kept sorted; chosen spans never overlap
    ends: list[int] = []
    chosen: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (-TIER[h.kind], -(h.end - h.start), h.start)):
        i = bisect.bisect_left(starts, hit.end)  # chosen spans starting before hit ends
        if i and ends[i - 1] > hit.start:
            continue
        starts.insert(i, hit.start)
        ends.insert(i, hit.end)
        chosen.append(hit)
    return sorted(chosen, key=lambda h: h.start)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether [start, end) overlaps any of `spans`, sorted by start."""
    i = bisect.bisect_left(spans, (end, end))  # spans starting before `end`
    return any(e > start for _, e in spans[max(0, i - 8) : i])


def _apply(text: str, findings: list[Finding]) -> str:
    if not findings:
        return text
    parts: list[str] = []
    at = 0
    for f in sorted(findings, key=lambda f: f.start):
        parts.append(text[at : f.start])
        parts.append(f.replacement)
        at = f.end
    parts.append(text[at:])
    return "".join(parts)


def _trie_pattern(names: Iterable[tuple[str, ...]]) -> str:
    """One regex alternative per shared prefix: thousands of known names cost about as much
    as one, where a flat alternation would be tried name by name at every position."""
    trie: dict[str, Any] = {}
    for tokens in names:
        node = trie
        for i, token in enumerate(tokens):
            if i:
                node = node.setdefault(" ", {})
            for ch in token:
                node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        ends = "" in node
        branches = [
            (r"\s+" if ch == " " else re.escape(ch)) + emit(child)
            for ch, child in sorted(node.items())
            if ch != ""
        ]
        if not branches:
            return ""
        if len(branches) == 1 and not ends:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if ends else "")

    return emit(trie)
