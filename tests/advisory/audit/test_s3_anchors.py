"""Anchors in an S3-compatible bucket with object lock, spoken to over real HTTP.

The S3 endpoint is moto's server (the S3 wire protocol on a local port): the store's requests
are the ones it would send to AWS, MinIO or Ceph, and the bucket enforces object lock,
conditional writes and versioning as they do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import boto3
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from advisory.audit import record, verify_chain
from advisory.chain.anchors import Anchor, AnchorStoreError, anchor_store, build_batch
from advisory.chain.s3_anchors import S3AnchorStore
from tests.factories import firm_events

from .conftest import without_triggers

BUCKET = "ballast-anchors"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    """A fresh locked bucket per test, and a client that can look at it as an operator."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "ballast-test",
        "AWS_SECRET_ACCESS_KEY": "ballast-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
    yield client
    _empty(client, BUCKET)


def _empty(client, bucket: str) -> None:
    """Forget every bucket: moto's reset endpoint (a real locked bucket cannot be emptied)."""
    import requests

    requests.post(f"{client.meta.endpoint_url}/moto-api/reset", timeout=10)


@pytest.fixture
def s3_settings(settings, s3, s3_endpoint):
    settings.BALLAST_AUDIT_ANCHOR_STORE = "advisory.chain.s3_anchors.S3AnchorStore"
    settings.BALLAST_AUDIT_ANCHOR_S3_BUCKET = BUCKET
    settings.BALLAST_AUDIT_ANCHOR_S3_ENDPOINT_URL = s3_endpoint
    settings.BALLAST_AUDIT_ANCHOR_S3_REGION = "us-east-1"
    settings.BALLAST_AUDIT_ANCHOR_S3_PREFIX = "anchors/"
    settings.BALLAST_AUDIT_ANCHOR_S3_RETENTION_DAYS = 30
    return settings


def _batch(seq: int = 3, at: dt.datetime | None = None):
    head = Anchor(1, "alpha", seq, "ab" * 32, "t1", "2026-01-01T00:00:00+00:00")
    return build_batch([head], at or dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC))


def test_an_anchor_is_written_once_and_locked_in_compliance_mode(s3_settings, s3):
    store = anchor_store()
    assert isinstance(store, S3AnchorStore)
    batch = _batch()
    key = store.write(batch)
    assert key == "anchors/" + batch.name
    assert store.read_all() == [batch]

    head = s3.head_object(Bucket=BUCKET, Key=key)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    retain = head["ObjectLockRetainUntilDate"]
    assert timezone.now() + dt.timedelta(days=29) < retain < timezone.now() + dt.timedelta(days=31)

    # The bucket refuses to delete the locked version, even for whoever holds its keys.
    with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=BUCKET, Key=key, VersionId=head["VersionId"])
    # And the store never overwrites: same run time, same key, refused by the bucket.
    with pytest.raises(AnchorStoreError, match="already exists"):
        store.write(build_batch([], batch.anchored_at))
    assert store.read_all() == [batch]


def test_a_shadowing_version_is_reported_as_tampering(s3_settings, s3):
    store = anchor_store()
    key = store.write(_batch(seq=3))
    # Someone with the bucket's keys puts a new version over the anchor (no delete needed).
    s3.put_object(Bucket=BUCKET, Key=key, Body=_batch(seq=1).to_json().encode())
    with pytest.raises(AnchorStoreError, match=f"{key} has 2 versions"):
        store.read_all()


def test_a_delete_marker_is_reported_as_tampering(s3_settings, s3):
    store = anchor_store()
    key = store.write(_batch())
    s3.delete_object(Bucket=BUCKET, Key=key)  # no version id: hides the object behind a marker
    with pytest.raises(AnchorStoreError, match="versions"):
        store.read_all()


def test_a_bucket_without_object_lock_is_refused(s3_settings, s3):
    s3.create_bucket(Bucket="no-lock-here")
    store = S3AnchorStore("no-lock-here")
    with pytest.raises(AnchorStoreError, match="object lock"):
        store.write(_batch())
    assert s3.list_objects_v2(Bucket="no-lock-here").get("KeyCount") == 0


def test_an_unreachable_store_is_a_clear_error(s3_settings):
    store = S3AnchorStore(BUCKET, endpoint_url="http://127.0.0.1:9", region="us-east-1")
    with pytest.raises(AnchorStoreError, match="s3://ballast-anchors"):
        store.read_all()


def test_a_store_without_a_bucket_says_which_setting(settings):
    settings.BALLAST_AUDIT_ANCHOR_S3_BUCKET = ""
    with pytest.raises(AnchorStoreError, match="BALLAST_AUDIT_ANCHOR_S3_BUCKET"):
        S3AnchorStore()


def test_anchor_audit_then_a_cut_tail_fails_verification_against_the_bucket(
    world_a, world_b, s3_settings, s3
):
    for i in range(3):
        record(firm=world_a.firm, action="household.viewed", changes={"n": i})
    call_command("anchor_audit")
    (listed,) = s3.list_objects_v2(Bucket=BUCKET, Prefix="anchors/")["Contents"]
    assert listed["Key"].startswith("anchors/anchors-")
    call_command("verify_audit")  # intact: passes against the bucket's anchor

    anchored = firm_events(world_a.firm)[-1]
    without_triggers("DELETE FROM advisory_auditevent WHERE id = %s", anchored.pk)
    with pytest.raises(CommandError, match=f"alpha seq {anchored.seq}"):
        call_command("verify_audit")
    report = verify_chain(world_a.firm)
    assert report.first_bad_seq == anchored.seq
    assert f"before its last anchored seq {anchored.seq}" in report.reason
