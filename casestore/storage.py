"""S3 access for response packages.

Keys are built only from generated identifiers, never from anything a person typed, and
every object is written with server-side encryption.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from dsar.config import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

PACKAGE_NAMESPACE = uuid.UUID("6f0b6c3e-5a4f-4f7e-9a55-2d1f0d5a9c11")


def s3_client(settings: Settings) -> S3Client:
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        region_name=settings.s3_region,
        aws_access_key_id=settings.s3_access_key_id,
        aws_secret_access_key=settings.s3_secret_access_key,
        config=Config(signature_version="s3v4", retries={"mode": "standard", "max_attempts": 5}),
    )


def ensure_bucket(client: S3Client, bucket: str, region: str) -> None:
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError:
        if region == "us-east-1":
            client.create_bucket(Bucket=bucket)
        else:
            client.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
            )


def artefact_id(reference: str, kind: str) -> str:
    """Deterministic, so a retried packaging step overwrites rather than duplicates."""
    return str(uuid.uuid5(PACKAGE_NAMESPACE, f"{reference}:{kind}"))


def package_key(artefact: str) -> str:
    return f"packages/{artefact}/response-package.zip"


def reference_folder(reference: str) -> str:
    """The folder name a request's files get under `collected/` and `uploads/`: a hash, so a
    key never shows the reference, and retention can still find every file of one case."""
    return hashlib.sha256(reference.encode()).hexdigest()[:32]


def upload_key(reference: str, company: str, system: str, sha256: str) -> str:
    """Key of an uploaded export: hashes and codes only, the same file lands in the same place."""
    return f"uploads/{reference_folder(reference)}/{company}/{system}/{sha256}"
