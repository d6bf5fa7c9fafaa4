"""Anchors in an S3-compatible bucket under object lock (compliance mode).

A bucket with object lock keeps every object version until its retain-until date, and in
compliance mode nobody (the bucket's owner and the cloud account's root included) can shorten
the retention or delete the version before then. That is the store an examiner trusts more
than a directory: the database's administrators cannot rewrite history in it.

Two rules beyond the lock:

- ``write`` refuses a bucket without object lock (anchors there could be deleted) and never
  overwrites: the put is conditional (``If-None-Match: *``) and a key that already exists is
  an error.
- ``read_all`` reads every *version* of every anchor object. On a versioned bucket a second
  put under the same key would shadow the first without deleting it; a key with more than
  one version is therefore reported as tampering instead of being read past.

Configuration (settings, from the environment): ``BALLAST_AUDIT_ANCHOR_S3_BUCKET``,
``…_PREFIX`` (default ``anchors/``), ``…_ENDPOINT_URL`` (MinIO, Ceph, Wasabi…; empty for
AWS), ``…_REGION`` and ``…_RETENTION_DAYS`` (default 2,557: seven years, past the five-year
retention that runs from the end of a fiscal year). Credentials come from boto3's usual
chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, an instance role…), never settings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.utils import timezone

from .anchors import AnchorBatch, AnchorStoreError


def _client(endpoint_url: str, region: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or None,
        region_name=region or None,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}),
    )


class S3AnchorStore:
    """One object per anchoring run, locked in compliance mode until its retention date."""

    def __init__(
        self,
        bucket: str | None = None,
        *,
        prefix: str | None = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        retention_days: int | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket or settings.BALLAST_AUDIT_ANCHOR_S3_BUCKET
        if not self.bucket:
            raise AnchorStoreError(
                "The S3 anchor store needs a bucket: set BALLAST_AUDIT_ANCHOR_S3_BUCKET."
            )
        self.prefix = settings.BALLAST_AUDIT_ANCHOR_S3_PREFIX if prefix is None else prefix
        self.retention_days = retention_days or settings.BALLAST_AUDIT_ANCHOR_S3_RETENTION_DAYS
        self.client = client or _client(
            settings.BALLAST_AUDIT_ANCHOR_S3_ENDPOINT_URL if endpoint_url is None else endpoint_url,
            settings.BALLAST_AUDIT_ANCHOR_S3_REGION if region is None else region,
        )

    def write(self, batch: AnchorBatch) -> str:
        self._require_object_lock()
        key = self.prefix + batch.name
        retain_until = timezone.now() + dt.timedelta(days=self.retention_days)
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=batch.to_json().encode(),
                ContentType="application/json",
                IfNoneMatch="*",
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=retain_until,
                ChecksumAlgorithm="SHA256",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                raise AnchorStoreError(
                    f"Anchor {key} already exists; anchors are written once."
                ) from exc
            raise AnchorStoreError(
                f"Could not write anchor {key} to s3://{self.bucket}: {exc}"
            ) from exc
        except BotoCoreError as exc:  # connection refused, timeouts after retries
            raise AnchorStoreError(
                f"Could not write anchor {key} to s3://{self.bucket}: {exc}"
            ) from exc
        return key

    def read_all(self) -> list[AnchorBatch]:
        batches: list[tuple[str, AnchorBatch]] = []
        try:
            for key, version_ids in sorted(self._versions().items()):
                if len(version_ids) > 1:
                    raise AnchorStoreError(
                        f"Anchor {key} has {len(version_ids)} versions in s3://{self.bucket}; "
                        "anchors are written once, so a later version is tampering."
                    )
                body = self.client.get_object(
                    Bucket=self.bucket, Key=key, VersionId=version_ids[0]
                )["Body"].read()
                batches.append((key, self._parse(key, body)))
        except (BotoCoreError, ClientError) as exc:
            raise AnchorStoreError(
                f"Could not read anchors from s3://{self.bucket}: {exc}"
            ) from exc
        return [batch for _, batch in batches]

    def _versions(self) -> dict[str, list[str]]:
        """Every version id of every anchor object (delete markers count as versions)."""
        versions: dict[str, list[str]] = {}
        pages = self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for entry in (*page.get("Versions", []), *page.get("DeleteMarkers", [])):
                key = entry["Key"]
                if key[len(self.prefix) :].startswith("anchors-"):
                    versions.setdefault(key, []).append(entry.get("VersionId") or "null")
        return versions

    def _parse(self, key: str, body: bytes) -> AnchorBatch:
        try:
            return AnchorBatch.from_json(body.decode())
        except (ValueError, KeyError, TypeError) as exc:
            raise AnchorStoreError(f"Unreadable anchor object {key}: {exc}") from exc

    def _require_object_lock(self) -> None:
        try:
            config = self.client.get_object_lock_configuration(Bucket=self.bucket)
        except ClientError as exc:
            raise AnchorStoreError(
                f"s3://{self.bucket} has no object lock (or cannot be read): anchors there "
                f"could be deleted. Create the bucket with object lock enabled. ({exc})"
            ) from exc
        enabled = config.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
        if enabled != "Enabled":
            raise AnchorStoreError(f"s3://{self.bucket} does not have object lock enabled.")
