"""Names of people found from the text itself, the way a careful reviewer finds them.

The group's known names stay the first signal (`Detector.known_names`); these rules find the
rest: a given name from the lexicon alone or with a surname, a title before a surname ("Dr
Okafor", "fru Lind"), initials before a surname ("J. Smith"), "Surname, Given", possessives,
the sender on From:/Från: lines, the author in "X wrote:"/"skrev X:", the signature under a
closing line and the speaker of a chat line. Company names stay: a phrase followed by a
company form (AB, Ltd, plc, A/S, GmbH ...) or listed as a brand is not a person, and neither
is a word the lexicon marks as an ordinary word unless context says it is a name.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from dsar.redaction.lexicon import Lexicon, lexicon

TITLES = frozenset(
    "dr mr mrs ms miss mx prof professor sir dame lady lord fru herr fröken doktor dir rev fr sr".split()
)
_PARTICLES = frozenset(
    "af av da de del della den der di du la le ten ter van von al el bin ibn abu bint".split()
)
_COMPANY_FORM = re.compile(
    r"\s*(?:&\s*(?:Co|Son|Sons|Partners)\b|AB\b|Ltd\b|Limited\b|plc\b|PLC\b|A/S\b|B\.V\.|BV\b|GmbH\b|Oyj?\b"
    r"|ASA?\b|ApS\b|Inc\b|LLC\b|LLP\b|KB\b|HB\b|AG\b|S\.A\.|SA\b|N\.V\.|NV\b|Group\b|Holding\b|Hotel\b"
    r"|Consulting\b|Partners\b|Bygg\b|Restaurang\b)"
)
_HEADER = re.compile(
    r"(?im)(?:^[ \t>]*(?:from|från|fr\.?|to|till|cc|kopia|sender|avsändare|reply-to)"
    r"|\b(?:attn|att|bill to|ship to"
    r"|contact|kontakt|kontaktperson|fakturamottagare|handläggare|handled by|assigned to|agent|reported by))"
    r"[ \t]*:[ \t]*([^<\n,;(]{1,60})"
)
_WROTE = re.compile(r"(?:<[^>\n]*>\s*)?\b(?:wrote|skrev)\s*:", re.IGNORECASE)
_SKREV = re.compile(r"\bskrev\s+([^\n:<]{1,60}?)\s*(?:<[^>\n]*>\s*)?:")
_CLOSING = re.compile(
    r"(?im)^[ \t]*(?:best regards|kind regards|warm regards|regards|many thanks|thanks|thank you"
    r"|cheers|sincerely"
    r"|yours sincerely|br|med vänliga hälsningar|med vänlig hälsning|vänliga hälsningar|vänligen|hälsningar"
    r"|mvh|tack|hälsar)[ \t]*[,.!]?[ \t]*\n+[ \t]*([^\n]{1,60})"
)
_CHAT = re.compile(r"(?m)^[ \t]*\[?\d{1,2}[:.]\d{2}(?::\d{2})?\]?[ \t]+(?:-[ \t]+)?([^\W\d_][^\n:]{0,40}?):")
_LOWER_KEPT = TITLES | _PARTICLES
# Python's re has no \p{Lu}: the capitals of the Latin, Greek and Cyrillic blocks, listed once.
_UPPER = "".join(c for c in map(chr, range(0x41, 0x530)) if c.isupper())
# Only capitalised words and the lower-case titles and particles: the scanner skips the rest
# of the text in C, which is most of it.
_WORD = re.compile(
    rf"(?<![^\W\d_])(?:[{re.escape(_UPPER)}][^\W\d_]*(?:['’-][^\W\d_]+)*"
    rf"|(?:{'|'.join(sorted(_LOWER_KEPT, key=len, reverse=True))})(?![^\W\d_]))"
)
_PRODUCT_CASE = re.compile(r"^(?!Mc|Mac|Fitz|Van|Von|De|Di|Da|La|Le|Du)[^\W\d_][a-zà-ÿ]+[A-ZÀ-Þ]")
_DIGIT_SPACE = re.compile(r"\d\s")
_LOWER_NEXT = re.compile(r" [a-zåäöé]")
_CODE_NEXT = re.compile(r"[ \t]+(?:\d|[A-Z]\d*(?!\w))")  # "Era 100", "Model Y": a product
_FORMS = frozenset(
    "ab ltd limited plc gmbh oy oyj as asa aps inc llc llp bv nv ag sa kb hb group holding".split()
)
_DOTTED_FORM = re.compile(r"B\.V\.|N\.V\.|S\.A\.|A/S")
_FULL_STOP = re.compile(r"(?<=[^\W\d_]{2})\.\s")
# A sign-off on a line of its own: "– Anna", "/Anna", "-- Anna Ek".
_SIGN_OFF = re.compile(
    r"(?m)^[ \t]*(?:--?|–|—|/)[ \t]*([^\W\d_][^\W\d_ '’-]*(?:[ \t][^\W\d_][^\W\d_'’-]*){0,2})[ \t]*$"
)
# "Anna and Bilal", "Sienna och Hayley": one name makes the other one.
_AND_BEFORE = re.compile(r"[ \t]+(?:and|och|&|og|und)[ \t]+\Z")
_AND = re.compile(r"[ \t]+(?:and|och|&|og|und)[ \t]+")
_CAP_NEXT = re.compile(r"[ \t]+[A-ZÅÄÖ]")
# Words around a person's name in conversation: "ask X", "her son X", "X said", "X sa att".
_CUE_BEFORE = re.compile(
    r"(?i)(?:\b(?:ask|tell|call|ring|contact|kontakta|fråga|email|mejla|son|sonen|dotter|dottern|daughter|wife|husband"
    r"|fru|man|colleague|kollega|kollegan|manager|chef|neighbour|grannen|sambo|partner|mother|father|mamma|pappa"
    r"|brother|sister|bror|syster|by|av|cc|thanks to|thank|tack till|tack|according to|enligt)"
    r",?\s+)\Z"
)
_CUE_AFTER = re.compile(
    r"(?:['’]s|s)?\s+(?:said|says|called|rang|asked|wrote|mailed|emailed|replied|sa|säger|ringde|frågade|skrev"
    r"|mejlade|svarade|mamma|pappa|mother|father|husband|wife)\b"
)
# Weaker: "X has the keys", "X är sjuk" only for a word the lexicon knows ("Nordea is" is no one).
_WEAK_AFTER = re.compile(r"\s+(?:har|has|is|är|will|ska|was|var)\b")
_LEAD_CUES = frozenset(
    "son sonen dotter dottern daughter fråga ask kontakta ring call tell mamma pappa kollega colleague"
    " grannen".split()
)
_SENTENCE_END = re.compile(r"(?:[.!?:;>\-–•\[\]()\"]|\n)\s*\Z")


@dataclass(frozen=True)
class _Token:
    start: int
    end: int  # possessive ('s / ’s) excluded
    key: str  # lower case, possessive and Swedish genitive -s removed when that makes a name
    cap: bool


def find_names(text: str, lex: Lexicon | None = None) -> Iterator[tuple[int, int, str]]:
    """(start, end, lower-cased name) of every name found; spans may overlap (resolved later)."""
    lex = lex or lexicon()
    tokens = _tokens(text, lex)
    if not tokens:
        return
    hits = list(_from_tokens(text, tokens, lex))
    hits.extend(list(_coordinated(text, hits, tokens, lex)))
    starts = [t.start for t in tokens]
    for lo, hi in _forced_spans(text):
        inside = tokens[bisect.bisect_left(starts, lo) : bisect.bisect_left(starts, hi)]
        hits.extend(_span_names(text, [t for t in inside if t.end <= hi], lex))
    if hits:
        yield from _outside_brands(text, hits, lex)


def _tokens(text: str, lex: Lexicon) -> list[_Token]:
    """Capitalised words, and the lower-case titles and particles names use; other lower-case
    words are left out (most of the text), so two tokens are adjacent only with nothing between."""
    tokens: list[_Token] = []
    for m in _WORD.finditer(text):
        word = m.group()
        low = word.lower()
        if word[0].islower() and low not in _LOWER_KEPT:
            continue
        start, end = m.span()
        if low.endswith(("'s", "’s")):
            low, end = low[:-2], end - 2
        elif (
            low.endswith("s")
            and _LOWER_NEXT.match(text, end)
            and low not in lex.given
            and low[:-1] in lex.given
            and low not in lex.surnames
        ):
            low, end = low[:-1], end - 1  # Swedish genitive: "Fatimas mamma"
        # "AirPods", "PlayStation": a capital inside a word is a product, unless after Mc, Mac, O' ...
        cap = (
            word[0].isupper()
            and not (len(word) > 1 and word.isupper())
            and _PRODUCT_CASE.search(word) is None
        )
        tokens.append(_Token(start, end, low, cap))
    return tokens


def _runs(text: str, tokens: list[_Token], lex: Lexicon) -> Iterator[tuple[int, list[_Token]]]:
    """Runs of capitalised words (particles inside allowed), with the index of the first."""
    run: list[_Token] = []
    first = 0
    for i, tok in enumerate(tokens):
        if run:
            gap = text[run[-1].end : tok.start]
            # After "J." the run goes on; after "Model Y." it does not (a letter after a word).
            initial = _initial(text, run[-1]) and (
                len(run) == 1 or _initial(text, run[-2]) or run[-2].key in lex.given
            )
            joined = gap in (" ", "\u00a0") or (gap in (". ", ".") and initial)
            particle = tok.key in _PARTICLES and (
                run[-1].key in lex.given or run[-1].key in _PARTICLES or _initial(text, run[-1])
            )
            if joined and (tok.cap or particle):
                run.append(tok)
                continue
            yield first, _trim(run)
            run = []
        if tok.cap or (tok.key in _PARTICLES and i and tokens[i - 1].key in TITLES):
            run, first = [tok], i  # "Dr van de Darnau", "herr de Heer": a particle after a title
    if run:
        yield first, _trim(run)


def _initial(text: str, tok: _Token) -> bool:
    """ "J." before a surname; not "A/S", and not the check letter of "YZ 57 20 30 C."."""
    return (
        tok.end - tok.start == 1
        and text[tok.end : tok.end + 1] == "."
        and text[tok.start - 1 : tok.start] != "/"
        and _DIGIT_SPACE.match(text, max(0, tok.start - 2), tok.start) is None
    )


def _trim(run: list[_Token]) -> list[_Token]:
    while run and not run[-1].cap:
        run = run[:-1]
    return run


def _from_tokens(text: str, tokens: list[_Token], lex: Lexicon) -> Iterator[tuple[int, int, str]]:
    for first, run in _runs(text, tokens, lex):
        prev = tokens[first - 1] if first else None
        titled = prev is not None and prev.key in TITLES and text[prev.end : run[0].start] in (" ", ". ")
        if run[0].key in TITLES and len(run) > 1:
            run, titled = run[1:], True
        if _is_company(text, run, lex):
            continue
        if titled:
            yield _emit(text, run[:3])
            continue
        found = list(_run_names(text, run, lex, _starts_sentence(text, run[0].start)))
        if found:
            yield _extend_left(text, run, found[0], lex)
        else:
            yield from _cued(text, run, lex)
    yield from _inverted(text, tokens, lex)


def _extend_left(
    text: str, run: list[_Token], name: tuple[int, int, str], lex: Lexicon
) -> tuple[int, int, str]:
    """ "Espiridión Roman": unknown capitalised words right before a name are part of it."""
    i = next(k for k, t in enumerate(run) if t.start == name[0])
    j = i
    while j > 0 and run[j - 1].key not in lex.not_names and run[j - 1].key not in lex.words:
        j -= 1
    if j == i or (_starts_sentence(text, run[j].start) and j == 0):
        return name
    return run[j].start, name[1], " ".join(t.key for t in run[j:i]) + " " + name[2]


def _coordinated(
    text: str, hits: list[tuple[int, int, str]], tokens: list[_Token], lex: Lexicon
) -> Iterator[tuple[int, int, str]]:
    """The capitalised word joined by "and"/"och" to a name found is a name too."""
    by_start = {t.start: t for t in tokens}
    by_end = {t.end: t for t in tokens}
    for start, end, _ in hits:
        after = _AND.match(text, end)
        if after and (tok := by_start.get(after.end())) is not None and _plain(tok, lex):
            yield tok.start, tok.end, tok.key
        before = _AND_BEFORE.search(text, max(0, start - 6), start)
        if before and (tok := by_end.get(before.start())) is not None and _plain(tok, lex):
            yield tok.start, tok.end, tok.key


def _plain(tok: _Token, lex: Lexicon) -> bool:
    return tok.cap and tok.key not in lex.not_names and tok.key not in lex.words and len(tok.key) > 1


def _run_names(
    text: str, run: list[_Token], lex: Lexicon, sentence_start: bool
) -> Iterator[tuple[int, int, str]]:
    """A run of capitalised words: where its name starts (a given name or an initial) and ends."""
    n = len(run)
    for j, tok in enumerate(run):
        if tok.key in lex.not_names:
            continue
        follows = j + 1 < n and _may_follow(run[j + 1], lex)
        if _initial(text, tok) and follows:  # initials, then a surname
            if j and not _initial(text, run[j - 1]):
                continue  # "Model Y. Kortet": a product's letter, not an initial
            k = j + 1
            while k < n and len(run[k].key) == 1:
                k += 1
            if k < n and run[k].key not in lex.not_names:
                yield _emit(text, run[j : _name_end(run, k, lex) + 1])
            return
        if tok.key in lex.given:
            nxt = run[j + 1] if follows else None
            if tok.key in lex.words:  # "Will", "Mark": a name only with a surname after it, or mid-sentence
                if (
                    nxt is not None
                    and len(nxt.key) > 1
                    and (nxt.key in lex.surnames or nxt.key not in lex.words)
                ):
                    yield _emit(text, run[j : _name_end(run, j + 1, lex) + 1])
                    return
                if j == 0 and sentence_start:
                    continue
                yield _emit(text, [tok])
                return
            yield _emit(text, run[j : (_name_end(run, j + 1, lex) if nxt is not None else j) + 1])
            return
        if (
            follows
            and tok.key not in lex.words
            and run[j + 1].key in lex.surnames
            and run[j + 1].key not in lex.words
            and not (sentence_start and j == 0)  # "Meet McDonald": a verb, not a given name
        ):
            yield _emit(text, run[j : _name_end(run, j + 1, lex) + 1])
            return


def _cued(text: str, run: list[_Token], lex: Lexicon) -> Iterator[tuple[int, int, str]]:
    """An unknown capitalised word that conversation puts in a name's place ("ask Nachiket")."""
    lead = run[0].key in _LEAD_CUES and len(run) > 1  # "Son Abelone", "Fråga Nanni"
    if lead:
        run = run[1:]
    tok = run[0]
    if len(run) > 2 or tok.key in lex.not_names or len(tok.key) < 3:
        return
    after = _CUE_AFTER.match(text, run[-1].end) is not None
    if tok.key in lex.words:  # "Flora sa att", "Martin's mother called": a known given name only
        if after and tok.key in lex.given and len(run) == 1:
            yield _emit(text, run)
        return
    known = any(t.key in lex.surnames or t.key in lex.given for t in run)
    weak = known and _WEAK_AFTER.match(text, run[-1].end) is not None
    if lead or after or weak or _CUE_BEFORE.search(text, max(0, tok.start - 16), tok.start):
        yield _emit(text, run)


def _name_end(run: list[_Token], at: int, lex: Lexicon) -> int:
    end = at
    while end + 1 < len(run) and end + 1 - at < 3 and _may_follow(run[end + 1], lex):
        end += 1
    return end


def _may_follow(tok: _Token, lex: Lexicon) -> bool:
    """After a given name: a surname, also one that is a place ("Benny Lund"), not a common word."""
    if tok.key in _PARTICLES:
        return True  # "J. van den Broek"; a particle left at the end is trimmed
    return tok.key not in lex.not_names or (tok.key in lex.surnames and tok.key not in lex.words)


def _inverted(text: str, tokens: list[_Token], lex: Lexicon) -> Iterator[tuple[int, int, str]]:
    """ "Lind, Anna": a capitalised word, a comma, then a given name."""
    for i, (a, b) in enumerate(itertools.pairwise(tokens)):
        before = tokens[i - 1] if i else None
        if before is not None and before.cap and text[before.end : a.start] == " ":
            continue  # "Mary Dunn, Medsökandes": Dunn ends a name, it does not start one
        if (
            a.cap
            and b.cap
            and text[a.end : b.start] == ", "
            and (b.key in lex.given or (a.key in lex.surnames and b.key not in lex.words))
            and b.key not in lex.not_names
            and a.key not in lex.not_names
            and a.key not in lex.words
            and not _CAP_NEXT.match(text, b.end)
            and not _COMPANY_FORM.match(text, b.end)
            and text[a.start - 2 : a.start] != "& "
        ):
            yield a.start, b.end, f"{a.key} {b.key}"


def _is_company(text: str, run: list[_Token], lex: Lexicon) -> bool:
    """A company or a product: a company form in or after it, or a code after it."""
    if any(t.key in _FORMS for t in run[1:]) or _DOTTED_FORM.search(text, run[0].start, run[-1].end + 4):
        return True
    return (
        _COMPANY_FORM.match(text, run[-1].end) is not None or _CODE_NEXT.match(text, run[-1].end) is not None
    )


@lru_cache(maxsize=1)
def _brand_pattern(brands: frozenset[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(b) for b in brands), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)", re.IGNORECASE)


def _outside_brands(
    text: str, hits: list[tuple[int, int, str]], lex: Lexicon
) -> Iterator[tuple[int, int, str]]:
    """Drops names inside a brand ("John Lewis", "Marks & Spencer"), looked for around each name."""
    pattern = _brand_pattern(lex.brands)
    for hit in hits:
        lo, hi = max(0, hit[0] - 24), hit[1] + 24
        if not any(m.start() <= hit[0] and hit[1] <= m.end() for m in pattern.finditer(text, lo, hi)):
            yield hit


def _starts_sentence(text: str, at: int) -> bool:
    return at == 0 or _SENTENCE_END.search(text, max(0, at - 4), at) is not None


def _emit(text: str, run: list[_Token]) -> tuple[int, int, str]:
    run = _trim(run)
    return run[0].start, run[-1].end, " ".join(t.key for t in run)


def _forced_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where context says a name stands: header lines, "X wrote:", signatures, chat speakers."""
    if ":" not in text:
        return
    lowered = text.lower()
    if "wrote" in lowered or "skrev" in lowered:
        for m in _WROTE.finditer(text):  # "On 3 May, Ann Ek <ann@...> wrote:": the words before
            at = m.start()
            start = max(text.rfind("\n", 0, at), text.rfind(",", 0, at), at - 60) + 1
            yield start, at
    for pattern in (_HEADER, _SKREV, _CLOSING, _CHAT, _SIGN_OFF):
        for m in pattern.finditer(text):
            start, end = m.span(1)
            stop = _FULL_STOP.search(text, start, end)  # "Ann Ek. Model Y": the sentence ends
            yield start, stop.start() if stop else end


def _span_names(text: str, tokens: list[_Token], lex: Lexicon) -> Iterator[tuple[int, int, str]]:
    """In a place that holds a name: its capitalised words, but not a company or a role."""
    run = [t for t in tokens if t.cap or t.key in _PARTICLES]
    run = _trim(run)
    while run and run[0].key in TITLES:
        run = run[1:]
    if not run or len(run) > 4 or _is_company(text, run, lex):
        return
    if run[0].key in lex.not_names and run[0].key not in lex.given:
        return
    if any(t.key in lex.not_names and t.key not in _PARTICLES and not _may_follow(t, lex) for t in run[1:]):
        return
    yield _emit(text, run)
