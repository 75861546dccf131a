"""Finding and redacting other people's personal data in the records collected for a request.

Art. 15(4): the copy given to the person must not adversely affect the rights of others.
Free text (support tickets, notes, attendee lists) routinely quotes colleagues, family and
other customers, so every collected string is scanned before review and the reviewer sees
what would be removed, and why, and may overrule single findings.

Pure and free of I/O so that activities, the CLI and tests can all import it. The findings
travel into the person's package as the redaction log, so they never hold the removed
value: only its kind, where it was, why it was removed and (when a key is given) a keyed
fingerprint that lets a reviewer keep the same value everywhere without seeing it stored.

Check digits come from python-stdnum and phone numbers from phonenumbers: maintained
rules beat hand-written ones, and a number that fails its checksum is not reported (order
numbers, amounts and dates look like identifiers far more often than they are).
"""

from __future__ import annotations

import bisect
import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import phonenumbers
from stdnum import iban as _iban
from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.se import orgnr as _orgnr
from stdnum.se import personnummer as _personnummer

from dsar.domain import _NINO, SubjectIdentity


class Kind(StrEnum):
    """What a finding is; also the key the benchmark reports precision and recall by."""

    EMAIL = "email"
    PHONE = "phone"
    PERSONNUMMER = "personnummer"
    ORGNR = "orgnr"
    NINO = "nino"
    IBAN = "iban"
    CARD = "card"
    NAME = "name"


# The text a reader of the package sees in place of the value.
REPLACEMENTS: Mapping[Kind, str] = {
    Kind.EMAIL: "[redacted: e-mail address]",
    Kind.PHONE: "[redacted: phone number]",
    Kind.PERSONNUMMER: "[redacted: personal identity number]",
    Kind.ORGNR: "[redacted: organisation number]",
    Kind.NINO: "[redacted: National Insurance number]",
    Kind.IBAN: "[redacted: bank account number]",
    Kind.CARD: "[redacted: payment card number]",
    Kind.NAME: "[redacted: name]",
}

# The reason recorded in the redaction log (Art. 15(4) asks for one the person can follow).
REASONS: Mapping[Kind, str] = {
    Kind.EMAIL: "e-mail address of another person",
    Kind.PHONE: "phone number of another person",
    Kind.PERSONNUMMER: "Swedish personal identity number of another person",
    Kind.ORGNR: "Swedish organisation number of another party (may identify a sole trader)",
    Kind.NINO: "UK National Insurance number of another person",
    Kind.IBAN: "bank account number (IBAN) of another person",
    Kind.CARD: "payment card number of another person",
    Kind.NAME: "name of another person",
}
_DIGITS_ONLY = frozenset({Kind.PHONE, Kind.CARD})
_COORDINATION_REASON = "Swedish coordination number (samordningsnummer) of another person"

# Kinds whose value is confirmed by a checksum or a strict allocation rule: when they
# overlap a looser match (a phone number read out of an IBAN's digits) they win.
CHECKSUMMED = frozenset({Kind.PERSONNUMMER, Kind.ORGNR, Kind.IBAN, Kind.CARD})
_TIER: Mapping[Kind, int] = {
    Kind.PERSONNUMMER: 4,
    Kind.ORGNR: 4,
    Kind.IBAN: 4,
    Kind.CARD: 4,
    Kind.NINO: 4,
    Kind.EMAIL: 3,
    Kind.NAME: 2,
    Kind.PHONE: 1,
}

# Regions whose national spellings ("070-...", "0113 ...") are read; numbers written with
# a country code are read whatever the region.
PHONE_REGIONS: tuple[str, ...] = ("SE", "GB")

# Compiled once: the detector runs over every string of every collected record.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# 10 or 12 digits with an optional - or + before the last four (personnummer, orgnr).
_SE_NUMBER = re.compile(r"(?<![\w-])(\d{6}|\d{8})([-+]?)(\d{4})(?!\w)")
_NINO_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])")
# An IBAN either in one piece or in the printed groups of four (the last group shorter).
_IBAN_CANDIDATE = re.compile(
    r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}"
    r"(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?)"
    r"(?![A-Za-z0-9])"
)
_CARD_CANDIDATE = re.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_CARD_SHAPE = re.compile(r"\d{4}([ -]?)\d{4}\1\d{4}\1\d{4}")
# Where a phone number may be; phonenumbers then decides (it is the slow part, so it only
# sees these windows, with one character of context either side).
# SE and GB numbers are written with a country code or a leading 0 (trunk prefix).
_PHONE_WINDOW = re.compile(r"(?<![\w+#/.,-])(?:\+|\(|0)[\d \t\u00a0().\-/]*\d")
# Dates and personnummer shapes are valid phone numbers often enough to matter; a phone
# number is never written like them.
_NOT_A_PHONE = re.compile(r"\d{1,2}([./-])\d{1,2}\1\d{2,4}|\d{4}-\d{2}-\d{2}|\d{6}(?:\d\d)?[-+]\d{4}")
_REFERENCE_BEFORE = re.compile(
    r"(?:order|ordernr|ordernummer|invoice|faktura|fakturanr|fakturanummer|ref|referens|reference"
    r"|ärende|ärendenr|ticket|case|kundnummer|customer)\.?\s*(?:nr\.?|no\.?|number|nummer)?\s*[:#]?\s*\Z",
    re.IGNORECASE,
)
_MIN_PHONE_DIGITS = 7
_DIGITS = re.compile(r"\D")
_ANY_DIGIT = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class OwnIdentifiers:
    """The requesting person's own identifiers, normalised, so they are never redacted."""

    emails: frozenset[str] = frozenset()
    phones: frozenset[str] = frozenset()  # E.164
    national_ids: frozenset[str] = frozenset()  # YYYYMMDD-NNNN, or a compact NINO
    customer_numbers: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()  # lower-cased, single spaces

    @classmethod
    def of(
        cls,
        *,
        emails: Iterable[str] = (),
        phones: Iterable[str] = (),
        national_ids: Iterable[str] = (),
        customer_numbers: Iterable[str] = (),
        names: Iterable[str] = (),
    ) -> OwnIdentifiers:
        """Accepts identifiers as people write them; a person often has several of each."""
        return cls(
            emails=frozenset(e.strip().lower() for e in emails if e.strip()),
            phones=frozenset(p for p in (_e164(x) for x in phones) if p),
            national_ids=frozenset(n for n in (_national_id_key(x) for x in national_ids) if n),
            customer_numbers=frozenset(_compact(c) for c in customer_numbers if c.strip()),
            names=frozenset(_name_key(n) for n in names if n.strip()),
        )

    @classmethod
    def from_identity(cls, identity: SubjectIdentity) -> OwnIdentifiers:
        return cls.of(
            emails=[identity.email],
            phones=[identity.phone] if identity.phone else [],
            national_ids=[identity.national_id] if identity.national_id else [],
            customer_numbers=[identity.customer_number] if identity.customer_number else [],
            names=[identity.full_name],
        )


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


@dataclass(frozen=True)
class _Hit:
    kind: Kind
    start: int
    end: int
    value: str  # normalised; used for own-identifier checks and fingerprints, never stored
    reason: str


@dataclass
class Detector:
    """Finds other people's identifiers in free text for one request.

    `known_names` are names of people the group's systems know about; names cannot be
    recognised reliably from text alone, so only these are looked for.
    """

    own: OwnIdentifiers
    known_names: Iterable[str] = ()
    key: bytes | None = None
    phone_regions: tuple[str, ...] = PHONE_REGIONS
    _names: re.Pattern[str] | None = field(init=False, default=None, repr=False)

    def __post_init__(self) -> None:
        # The person's own name joins the pattern so that, at a position where it matches,
        # it wins over a shorter known name inside it; its matches are then dropped.
        keys = {_name_key(n) for n in self.known_names if n.strip()} | set(self.own.names)
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

    def _hits(self, text: str) -> list[_Hit]:
        strong: list[_Hit] = []
        if "@" in text:
            strong.extend(self._emails(text))
        has_digits = _ANY_DIGIT.search(text) is not None
        shapes: list[tuple[int, int]] = []  # IBAN- or card-shaped but failing the check
        if has_digits:
            strong.extend(_se_numbers(text, self.phone_regions))
            strong.extend(_ibans(text, shapes))
            strong.extend(_cards(text, shapes))
            strong.extend(_ninos(text))
        if self._names is not None:
            strong.extend(self._name_hits(text))
        covered = sorted([(h.start, h.end) for h in strong if h.kind in CHECKSUMMED] + shapes)
        hits = strong + (list(self._phones(text, covered)) if has_digits else [])
        if shapes:
            shapes.sort()
            hits = [h for h in hits if h.kind not in _DIGITS_ONLY or not _overlaps(shapes, h.start, h.end)]
        return [h for h in _resolve(hits) if not self._is_own(h)]

    def _emails(self, text: str) -> Iterator[_Hit]:
        for m in _EMAIL.finditer(text):
            value = m.group().rstrip(".")
            yield _Hit(Kind.EMAIL, m.start(), m.start() + len(value), value.lower(), REASONS[Kind.EMAIL])

    def _name_hits(self, text: str) -> Iterator[_Hit]:
        assert self._names is not None
        for m in self._names.finditer(text):
            yield _Hit(Kind.NAME, m.start(), m.end(), _name_key(m.group()), REASONS[Kind.NAME])

    def _phones(self, text: str, covered: list[tuple[int, int]]) -> Iterator[_Hit]:
        seen: set[tuple[int, int]] = set()
        for window in _PHONE_WINDOW.finditer(text):
            start, end = window.span()
            raw = window.group()
            digits = len(_DIGITS.sub("", raw))
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

    def _phone_window(self, text: str, start: int, end: int, raw: str, digits: int) -> Iterator[_Hit]:
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
                if phonenumbers.is_valid_number(number):
                    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                    yield _Hit(Kind.PHONE, start, end, e164, REASONS[Kind.PHONE])
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
                yield _Hit(Kind.PHONE, first, lo + match.end, e164, REASONS[Kind.PHONE])

    def _is_own(self, hit: _Hit) -> bool:
        own = self.own
        if hit.kind is Kind.EMAIL:
            return hit.value in own.emails
        if hit.kind is Kind.PHONE:
            return hit.value in own.phones or _compact(hit.value) in own.customer_numbers
        if hit.kind is Kind.NAME:
            return hit.value in own.names
        if hit.kind in (Kind.PERSONNUMMER, Kind.NINO):
            return hit.value in own.national_ids
        return _compact(hit.value) in own.customer_numbers

    def _finding(self, path: str, hit: _Hit) -> Finding:
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
            return {k: walk(v, _child_path(path, k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    redacted = {k: walk(v, _child_path("$", k)) for k, v in record.items()}
    return RedactionResult(redacted, tuple(applied), tuple(kept))


# -- the kinds ---------------------------------------------------------------------------


def _se_numbers(text: str, regions: tuple[str, ...]) -> Iterator[_Hit]:
    for m in _SE_NUMBER.finditer(text):
        head, sep, tail = m.groups()
        digits = head + tail
        start, end = m.span()
        if len(digits) == 12 and digits.startswith("16") and _is_orgnr(digits[2:]):
            yield _Hit(Kind.ORGNR, start, end, digits[2:], REASONS[Kind.ORGNR])
            continue
        if len(digits) == 10 and sep != "+" and _is_orgnr(digits):
            yield _Hit(Kind.ORGNR, start, end, digits, REASONS[Kind.ORGNR])
            continue
        key, coordination = _personnummer_key(head, sep or "-", tail)
        if key is None:
            continue
        if len(digits) == 10 and not sep and _is_mobile(digits, regions):
            # A bare 07... string is far more often a mobile than a child's personnummer;
            # the phone matcher reports it, so the person's own number is recognised.
            continue
        reason = _COORDINATION_REASON if coordination else REASONS[Kind.PERSONNUMMER]
        yield _Hit(Kind.PERSONNUMMER, start, end, key, reason)


def _is_orgnr(digits: str) -> bool:
    # The third digit of an orgnr is 2 or more (in a personnummer it starts the month), and
    # none begins with 0 (a bare 07... with a valid Luhn digit is a mobile number).
    return digits[0] != "0" and digits[2] >= "2" and _orgnr.is_valid(digits)


def _personnummer_key(head: str, sep: str, tail: str) -> tuple[str | None, bool]:
    """The stored form YYYYMMDD-NNNN (as `normalise_national_id`), and whether it is a
    samordningsnummer (day + 60), which stdnum's personnummer module does not accept."""
    day = int(head[-2:])
    if not 61 <= day <= 91:
        number = f"{head}{sep}{tail}"
        if not _personnummer.is_valid(number):
            return None, False
        return f"{_personnummer.get_birth_date(number):%Y%m%d}-{tail}", False
    try:
        born = _personnummer.get_birth_date(f"{head[:-2]}{day - 60:02d}{sep}{tail}")
    except ValidationError:
        return None, False
    if not luhn.is_valid((head + tail)[-10:]):
        return None, False
    return f"{born:%Y%m}{day:02d}-{tail}", True


def _is_mobile(digits: str, regions: tuple[str, ...]) -> bool:
    if not digits.startswith("07") or "SE" not in regions:
        return False
    try:
        number = phonenumbers.parse(digits, "SE")
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )


def _ibans(text: str, shapes: list[tuple[int, int]]) -> Iterator[_Hit]:
    """Valid IBANs; the spans of IBAN-shaped strings that fail the check go to `shapes`,
    since a mistyped account number is no card or phone number either."""
    for m in _IBAN_CANDIDATE.finditer(text):
        candidate = m.group()
        # The greedy pattern may take a following word in capitals ("... 7466 TACK"):
        # try shorter group boundaries before giving up.
        while len(candidate.replace(" ", "")) >= 15:
            if _iban.is_valid(candidate):
                compact = candidate.replace(" ", "")
                yield _Hit(Kind.IBAN, m.start(), m.start() + len(candidate), compact, REASONS[Kind.IBAN])
                break
            if " " not in candidate:
                shapes.append(m.span())
                break
            candidate = candidate.rsplit(" ", 1)[0]
        else:
            shapes.append(m.span())


def _cards(text: str, shapes: list[tuple[int, int]]) -> Iterator[_Hit]:
    """Valid card numbers; a card-shaped run (four groups of four) failing the check goes to
    `shapes`: "4859 2472 0609 0078" holds no phone number either."""
    for m in _CARD_CANDIDATE.finditer(text):
        digits = _DIGITS.sub("", m.group())
        if luhn.is_valid(digits) and _plausible_issuer(digits):
            yield _Hit(Kind.CARD, m.start(), m.end(), digits, REASONS[Kind.CARD])
        elif _CARD_SHAPE.fullmatch(m.group()):
            shapes.append(m.span())


def _plausible_issuer(digits: str) -> bool:
    """Issuer prefixes and lengths (Visa, Mastercard, Amex, Diners, JCB, Discover, UnionPay,
    Maestro): a Luhn-valid run of digits alone is right one time in ten."""
    n = len(digits)
    p2, p3, p4 = int(digits[:2]), int(digits[:3]), int(digits[:4])
    if digits[0] == "4":
        return n in (13, 16, 19)
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return n == 16
    if p2 in (34, 37):
        return n == 15
    if 300 <= p3 <= 305 or p2 in (36, 38, 39):
        return 14 <= n <= 19
    if 3528 <= p4 <= 3589 or p4 == 6011 or 644 <= p3 <= 649 or p2 in (62, 65):
        return 16 <= n <= 19
    if p2 == 50 or 56 <= p2 <= 69:
        return 12 <= n <= 19
    return False


def _ninos(text: str) -> Iterator[_Hit]:
    for m in _NINO_CANDIDATE.finditer(text):
        compact = m.group().replace(" ", "")
        if _NINO.match(compact):
            yield _Hit(Kind.NINO, m.start(), m.end(), compact, REASONS[Kind.NINO])


# -- helpers -----------------------------------------------------------------------------


def _resolve(hits: list[_Hit]) -> list[_Hit]:
    """Overlaps: the more specific kind wins (checksummed over e-mail over name over phone),
    then the longer span. Greedy over a sorted list keeps it near-linear."""
    if len(hits) < 2:
        return hits
    starts: list[int] = []  # of the chosen spans, kept sorted; chosen spans never overlap
    ends: list[int] = []
    chosen: list[_Hit] = []
    for hit in sorted(hits, key=lambda h: (-_TIER[h.kind], -(h.end - h.start), h.start)):
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


def _child_path(path: str, key: object) -> str:
    name = str(key)
    if _PLAIN_KEY.match(name):
        return f"{path}.{name}"
    escaped = name.replace("\\", "\\\\").replace("'", "\\'")
    return f"{path}['{escaped}']"


def _name_key(name: str) -> str:
    return _SPACES.sub(" ", name.strip()).lower()


def _compact(value: str) -> str:
    return re.sub(r"[\s\-]", "", value).upper()


def _e164(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value.strip(), "SE")
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _national_id_key(value: str) -> str | None:
    compact = re.sub(r"\s", "", value).upper()
    if _NINO.match(compact):
        return compact
    m = _SE_NUMBER.fullmatch(compact)
    if not m:
        return None
    head, sep, tail = m.groups()
    return _personnummer_key(head, sep or "-", tail)[0]


# -- stored findings: names the group knows, and applying spans later -------------------
#
# Detection runs once, when collection is done; the package is built later, possibly after
# reviewers have kept some findings and added their own. So findings are stored as spans
# (record, JSON path, start, end) and applied here, by the same path scheme the detector
# reports, for the package and for `dsar review`'s samples alike.

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
            found.add(NameCandidate(_name_key(" ".join(words)), _name_key(first) if shaped else None))


def name_fingerprint(key: bytes, kind: str, name: str) -> str:
    """Keyed, so a list of fingerprints cannot be reversed by hashing a names dictionary."""
    message = f"{kind}:{_name_key(name)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def iter_strings(record: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(JSON path, text) of every string in a record, paths as the detector writes them."""

    def walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
        if isinstance(value, str):
            yield path, value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                yield from walk(v, _child_path(path, k))
        elif isinstance(value, list | tuple):
            for i, v in enumerate(value):
                yield from walk(v, f"{path}[{i}]")

    for k, v in record.items():
        yield from walk(v, _child_path("$", k))


@dataclass(frozen=True)
class Span:
    """A stored removal: where, and the text a reader sees instead."""

    path: str
    start: int
    end: int
    replacement: str


class SpanMismatch(ValueError):
    """A stored span no longer fits its record; building a package from it could leak."""


def apply_spans(record: Mapping[str, Any], spans: Iterable[Span]) -> dict[str, Any]:
    """The record with every span replaced. Overlapping spans (a reviewer's manual span over
    a detected one) merge into one removal. A span whose path holds no string, or which
    reaches past its text, raises `SpanMismatch` (naming the path only): failing the
    build is better than sending text nobody checked."""
    by_path: dict[str, list[Span]] = {}
    for span in spans:
        by_path.setdefault(span.path, []).append(span)
    if not by_path:
        return dict(record)
    pending = set(by_path)

    def walk(value: Any, path: str) -> Any:
        if isinstance(value, str):
            if path not in by_path:
                return value
            pending.discard(path)
            return _apply_merged(value, path, by_path[path])
        if isinstance(value, Mapping):
            return {k: walk(v, _child_path(path, k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    redacted = {k: walk(v, _child_path("$", k)) for k, v in record.items()}
    if pending:
        raise SpanMismatch(f"no text at {sorted(pending)[0]}")
    return redacted


def _apply_merged(text: str, path: str, spans: list[Span]) -> str:
    parts: list[str] = []
    at = 0
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end > len(text) or span.start < 0:
            raise SpanMismatch(f"a span reaches past the text at {path}")
        if span.start < at:  # overlaps the removal before it: widen that one
            if span.end > at:
                at = span.end
            continue
        parts.append(text[at : span.start])
        parts.append(span.replacement)
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def occurrences(text: str, needle: str) -> list[tuple[int, int]]:
    """Where a reviewer's chosen text stands in a field, as spans: only the spans travel."""
    if not needle:
        return []
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]
