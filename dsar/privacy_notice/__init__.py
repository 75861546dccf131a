"""The group's privacy notice as validated configuration, and the Art. 15 text made from it.

Art. 15(1)(a)-(h) and 15(2) require the access report to repeat what the notice
promises (purposes, recipients, retention, sources, ...). Keeping the notice in
`infra/privacy_notice.toml` means the report cannot drift from the published notice:
the privacy team edits one file and every later report follows. It is checked when
loaded, because a report that silently omits a purpose or a recipient would be an
incomplete answer to the person.

Nothing here runs at import time; files are read on first use and cached. The parts:
`notice` (the validated notice), `report_strings` (the report's words per language) and
`art15` (the Art. 15 items made from both); every public name is re-exported here.
"""

from dsar.privacy_notice.art15 import (
    Art15Entry,
    Art15Item,
    art15_items,
)
from dsar.privacy_notice.notice import (
    ARTICLE_6_1_LETTER,
    DEFAULT_NOTICE_FILE,
    Activity,
    Address,
    AutomatedDecisions,
    CategoryInfo,
    Complaints,
    Controller,
    FrozenModel,
    Id,
    LegalBasis,
    LegalBasisEntry,
    NonEmpty,
    PrivacyNotice,
    PrivacyNoticeError,
    Recipient,
    Retention,
    RetentionRule,
    RightInfo,
    Safeguard,
    Source,
    SourceKind,
    Text,
    Transfers,
    load_privacy_notice,
    parse_privacy_notice,
)
from dsar.privacy_notice.report_strings import (
    DEFAULT_STRINGS_FILE,
    load_report_strings,
    parse_report_strings,
)

__all__ = [
    "ARTICLE_6_1_LETTER",
    "DEFAULT_NOTICE_FILE",
    "DEFAULT_STRINGS_FILE",
    "Activity",
    "Address",
    "Art15Entry",
    "Art15Item",
    "AutomatedDecisions",
    "CategoryInfo",
    "Complaints",
    "Controller",
    "FrozenModel",
    "Id",
    "LegalBasis",
    "LegalBasisEntry",
    "NonEmpty",
    "PrivacyNotice",
    "PrivacyNoticeError",
    "Recipient",
    "Retention",
    "RetentionRule",
    "RightInfo",
    "Safeguard",
    "Source",
    "SourceKind",
    "Text",
    "Transfers",
    "art15_items",
    "load_privacy_notice",
    "load_report_strings",
    "parse_privacy_notice",
    "parse_report_strings",
]
