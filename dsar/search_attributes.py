"""Custom search attributes: the process facts operators filter on in the Temporal UI.

Search attribute values are stored unencrypted, so only statuses, rights, jurisdiction
codes and dates go here, never anything about the person.
"""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

DSAR_STATUS = SearchAttributeKey.for_keyword("DsarStatus")
DSAR_RIGHTS = SearchAttributeKey.for_keyword_list("DsarRights")
DSAR_JURISDICTION = SearchAttributeKey.for_keyword("DsarJurisdiction")
DSAR_DUE_AT = SearchAttributeKey.for_datetime("DsarDueAt")
DSAR_RECEIVED_AT = SearchAttributeKey.for_datetime("DsarReceivedAt")
# "<company>/<system>" codes of systems whose collection failed: an operator's to-do list.
DSAR_FAILED_SYSTEMS = SearchAttributeKey.for_keyword_list("DsarFailedSystems")
# The request's step that has been retried for minutes without finishing (`build_package`,
# `notify:acknowledgement`): set while the request waits for it, cleared once it succeeds.
DSAR_FAILED_STEP = SearchAttributeKey.for_keyword("DsarFailedStep")

ALL = (
    DSAR_STATUS,
    DSAR_RIGHTS,
    DSAR_JURISDICTION,
    DSAR_DUE_AT,
    DSAR_RECEIVED_AT,
    DSAR_FAILED_SYSTEMS,
    DSAR_FAILED_STEP,
)


def dev_server_flags() -> list[str]:
    """`--search-attribute` flags that register every key with `temporal server start-dev`."""
    kinds = {
        "KEYWORD": "Keyword",
        "KEYWORD_LIST": "KeywordList",
        "DATETIME": "Datetime",
    }
    flags: list[str] = []
    for key in ALL:
        flags += [
            "--search-attribute",
            f"{key.name}={kinds[key.indexed_value_type.name.removeprefix('INDEXED_VALUE_TYPE_')]}",
        ]
    return flags
