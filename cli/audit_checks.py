"""What `dsar audit --verify` and `--anchor` do, kept beside the command so it stays small.

--verify checks, in order: every link and every entry's MAC (`casestore.audit`), then the
table against every anchor written outside the database (`casestore.anchor`). Without
the MAC key nothing can tell a forged entry from a real one, so the key is required.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from casestore.anchor import anchor_now, ensure_anchor_bucket, read_anchors, verify_anchors
from casestore.audit import ChainProblem, MacKeys, verify_chain
from casestore.db import Conn
from casestore.storage import s3_client
from dsar.config import Settings


def _keys(settings: Settings) -> MacKeys:
    if not settings.audit_mac_keys:
        raise ValueError(
            "DSAR_AUDIT_MAC_KEYS is not set: checking the audit trail needs the audit MAC key"
            " (entries and anchors are MACed with it)"
        )
    return MacKeys.parse(settings.audit_mac_keys)


async def verify_trail(conn: Conn, settings: Settings) -> list[ChainProblem]:
    keys = _keys(settings)
    problems = await verify_chain(conn, keys)
    bucket = settings.audit_anchor_bucket
    try:
        anchors = read_anchors(s3_client(settings), bucket)
    except (ClientError, BotoCoreError) as exc:
        problems.append(
            ChainProblem(0, f"the anchors in bucket {bucket} cannot be read ({type(exc).__name__})")
        )
        return problems
    if not anchors:
        problems.append(
            ChainProblem(0, f"no anchor in bucket {bucket}: a deleted tail or an emptied table would go"
                         " unseen; run dsar audit --anchor (the control worker anchors every hour)")
        )  # fmt: skip
    return problems + await verify_anchors(conn, anchors, keys)


async def anchor_head(conn: Conn, settings: Settings) -> str:
    keys = _keys(settings)
    s3 = s3_client(settings)
    ensure_anchor_bucket(s3, settings.audit_anchor_bucket, settings.s3_region)
    result = await anchor_now(
        conn, s3, settings.audit_anchor_bucket, keys, settings.audit_anchor_retention_days
    )
    a = result.anchor
    how = "under Object Lock (compliance)" if result.locked else "written once, no Object Lock"
    if not result.written:
        return f"audit head already anchored: entry {a.seq}, {a.count} entries ({how})"
    return f"audit head anchored: entry {a.seq}, {a.count} entries, in {settings.audit_anchor_bucket} ({how})"
