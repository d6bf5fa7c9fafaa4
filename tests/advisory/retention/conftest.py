"""Fixtures for retention and disposal: an anchor directory and a media directory of the
test's own (old records are built with tests.factories.event_at and report_at)."""

import pytest


@pytest.fixture(autouse=True)
def anchor_dir(settings, tmp_path):
    settings.BALLAST_AUDIT_ANCHOR_DIR = str(tmp_path / "anchors")
    return tmp_path / "anchors"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
