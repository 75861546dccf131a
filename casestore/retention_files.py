"""The S3 side of retention: every file a case keeps in the case bucket, found and deleted.

A case's files are the collected files and bulk CSV parts (`collected/<folder>/`), the
uploaded exports (`uploads/<folder>/`), the package and portable data
(`packages/<artefact>/`, named by the artefacts table) and an agent's authorisation
(`cases/<reference>/authorisation/`, kept with the accountability record). The folders
are listed rather than only the keys the tables name, so a file a crashed activity wrote
but never recorded goes too. Deleting a key that is already gone succeeds in S3, so a
retried purge simply deletes nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from casestore.storage import reference_folder

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# S3 deletes at most this many keys in one request.
_DELETE_BATCH = 1000


def copy_prefixes(reference: str) -> list[str]:
    """The folders holding a case's copies (not its package, which the artefacts name)."""
    folder = reference_folder(reference)
    return [f"collected/{folder}/", f"uploads/{folder}/"]


def record_prefixes(reference: str) -> list[str]:
    """The folder of the evidence kept with the accountability record (an agent's authorisation)."""
    return [f"cases/{reference}/authorisation/"]


def listed_keys(s3: S3Client, bucket: str, prefixes: Iterable[str]) -> list[str]:
    keys: list[str] = []
    paginator = s3.get_paginator("list_objects_v2")
    for prefix in prefixes:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
    return keys


def delete_keys(s3: S3Client, bucket: str, keys: Iterable[str]) -> int:
    """Delete `keys` (duplicates once); returns how many were asked for. Raises on any refusal."""
    unique = sorted(set(keys))
    for start in range(0, len(unique), _DELETE_BATCH):
        chunk = unique[start : start + _DELETE_BATCH]
        answer = s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in chunk], "Quiet": True}
        )
        errors = answer.get("Errors", [])
        if errors:
            # Codes only: a key is a hash, but the message need not carry it.
            codes = sorted({str(e.get("Code", "?")) for e in errors})
            raise RuntimeError(f"S3 refused to delete {len(errors)} of a case's files: {', '.join(codes)}")
    return len(unique)
