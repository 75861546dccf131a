"""Finding and redacting other people's personal data in the records collected for a request.

Art. 15(4): the copy given to the person must not adversely affect the rights of others.
Free text (support tickets, notes, attendee lists) routinely quotes colleagues, family and
other customers, so every collected string is scanned before review and the reviewer sees
what would be removed, and why, and may overrule single findings.

Pure and free of I/O so that activities, the CLI and tests can all import it. The parts:
`kinds` (what is found and what replaces it), `numbers` (checksummed identifiers), `own`
(the person's own identifiers, never redacted), `detector` (finding and redacting),
`names` (name candidates and fingerprints) and `spans` (stored findings applied later).
"""

from dsar.redaction.detector import Detector, Finding, RedactionResult, finding_id, redact_record
from dsar.redaction.kinds import CHECKSUMMED, PHONE_REGIONS, REASONS, REPLACEMENTS, Kind
from dsar.redaction.names import NAME_PARTICLES, NameCandidate, name_candidates, name_fingerprint
from dsar.redaction.own import OwnIdentifiers
from dsar.redaction.spans import Span, SpanMismatch, apply_spans, iter_strings, occurrences

__all__ = [
    "CHECKSUMMED",
    "NAME_PARTICLES",
    "PHONE_REGIONS",
    "REASONS",
    "REPLACEMENTS",
    "Detector",
    "Finding",
    "Kind",
    "NameCandidate",
    "OwnIdentifiers",
    "RedactionResult",
    "Span",
    "SpanMismatch",
    "apply_spans",
    "finding_id",
    "iter_strings",
    "name_candidates",
    "name_fingerprint",
    "occurrences",
    "redact_record",
]
