"""The report's strings in each language (`templates/report/strings.toml`), checked so that
both languages offer the same keys and every key the Art. 15 text formats."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType

from dsar.domain import Language, Right
from dsar.privacy_notice.notice import LegalBasis, PrivacyNoticeError

DEFAULT_STRINGS_FILE = Path(__file__).resolve().parents[2] / "templates" / "report" / "strings.toml"

# Keys the code below formats; the template's own keys are checked by the tests.
_CODE_KEYS = frozenset(
    {
        "article_ref_15_1",
        "article_ref_15_2",
        "art15_1_a",
        "art15_1_b",
        "art15_1_c",
        "art15_1_d",
        "art15_1_e",
        "art15_1_f",
        "art15_1_g",
        "art15_1_h",
        "art15_2",
        "intro_purposes",
        "intro_categories",
        "intro_recipients",
        "intro_retention_categories",
        "intro_rights",
        "intro_sources",
        "intro_sources_none",
        "intro_transfers_recipients",
        "complaint_contact",
        "complaint_authority_below",
        "label_legal_basis",
        "label_objection",
        "label_categories",
        "label_outside_eea",
        "label_retention_criteria",
        "label_copy_on_request",
        "article_6_1",
        "automated_logic",
        *(f"basis_{b.value}" for b in LegalBasis),
        *(f"right_{r.value}" for r in Right),
    }
)


def report_language(language: str) -> Language:
    try:
        return Language(language)
    except ValueError:
        allowed = ", ".join(v.value for v in Language)
        raise ValueError(f"language must be one of {allowed}, not {language!r}") from None


def parse_report_strings(text: str, source: str = "report strings") -> Mapping[Language, Mapping[str, str]]:
    """Both languages must offer the same keys, so a report in either never shows a gap."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PrivacyNoticeError(f"{source}: not valid TOML: {exc}") from None
    tables: dict[Language, Mapping[str, str]] = {}
    for language in Language:
        table = raw.get(language.value)
        if not isinstance(table, dict):
            raise PrivacyNoticeError(f"{source}: missing table [{language.value}]")
        for key, value in table.items():
            if not isinstance(value, str) or not value.strip():
                raise PrivacyNoticeError(f"{source}: {language.value}.{key}: must be a non-empty string")
        missing = sorted(_CODE_KEYS - table.keys())
        if missing:
            raise PrivacyNoticeError(f"{source}: {language.value}: missing keys {missing}")
        tables[language] = MappingProxyType(dict(table))
    sv_keys, en_keys = set(tables[Language.SV]), set(tables[Language.EN])
    if sv_keys != en_keys:
        raise PrivacyNoticeError(
            f"{source}: only in sv: {sorted(sv_keys - en_keys)}; only in en: {sorted(en_keys - sv_keys)}"
        )
    return MappingProxyType(tables)


@cache
def default_report_strings() -> Mapping[Language, Mapping[str, str]]:
    return parse_report_strings(DEFAULT_STRINGS_FILE.read_text(encoding="utf-8"), str(DEFAULT_STRINGS_FILE))


def load_report_strings(language: str, path: Path | None = None) -> dict[str, str]:
    """A fresh dict each call, because the template context is the caller's to change."""
    lang = report_language(language)
    tables = (
        default_report_strings()
        if path is None
        else parse_report_strings(path.read_text(encoding="utf-8"), str(path))
    )
    return dict(tables[lang])
