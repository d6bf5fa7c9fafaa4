"""The upload limit holds before Django parses or spools the body."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import StopUpload
from django.http.multipartparser import MultiPartParser
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django_scopes import scopes_disabled

from advisory.tenancy import firm_scope
from portfolios.imports import limits
from portfolios.models import PositionImport, TaxLot
from tests.factories import POSITIONS_HEADER as HEADER
from tests.factories import firm_events

POSITIONS = "/imports/positions/"
GOOD = HEADER + "ALPHA-1001,VOO,12,6000.00,2024-03-01\n"


def body_of(data: bytes) -> bytes:
    upload = SimpleUploadedFile("positions.csv", data, content_type="text/csv")
    return encode_multipart(BOUNDARY, {"file": upload, "preset": "generic"})


def unchanged(world, events: int) -> None:
    with firm_scope(world.firm):
        assert list(TaxLot.objects.values_list("quantity", flat=True)) == [Decimal("10")]
    assert len(firm_events(world.firm)) == events
    with scopes_disabled():
        assert not PositionImport.objects.exists()


def test_an_oversized_declared_length_is_refused_before_the_body_is_read(
    world_a, login, monkeypatch
):
    def no_parsing(self):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(MultiPartParser, "parse", no_parsing)
    client = login(world_a.admin)
    events = len(firm_events(world_a.firm))
    response = client.generic(
        "POST",
        POSITIONS,
        body_of(GOOD.encode()),
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH=str(limits.MAX_REQUEST_BYTES + 1),
    )
    assert response.status_code == 413
    assert "the limit is 20 MB" in response.content.decode()
    unchanged(world_a, events)


def test_the_upload_handler_stops_a_file_past_the_limit(world_a, login, monkeypatch):
    monkeypatch.setattr(limits, "MAX_FILE_UPLOAD", 1_000)
    client = login(world_a.admin)
    events = len(firm_events(world_a.firm))
    data = (GOOD + "ALPHA-1001,BND,1,,2024-05-01\n" * 200).encode()  # ~6 KB, length declared
    response = client.post(
        POSITIONS, {"file": SimpleUploadedFile("p.csv", data), "preset": "generic"}
    )
    assert response.status_code == 413
    unchanged(world_a, events)


def test_a_body_without_a_declared_length_is_not_read(world_a, login):
    client = login(world_a.admin)
    events = len(firm_events(world_a.firm))
    response = client.generic(
        "POST",
        POSITIONS,
        body_of(GOOD.encode()),
        content_type=MULTIPART_CONTENT,
        CONTENT_LENGTH="",  # chunked: Django reads nothing, so there is no file
    )
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    unchanged(world_a, events)


def test_the_handler_counts_chunks_and_stops_without_draining():
    handler = limits.BoundedUploadHandler(limit=10)
    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    assert handler.receive_data_chunk(b"67890", 5) == b"67890"
    with pytest.raises(StopUpload) as stopped:
        handler.receive_data_chunk(b"x", 10)
    assert stopped.value.connection_reset
    assert handler.exceeded


def test_a_get_is_not_limited(world_a, login):
    assert login(world_a.admin).get(POSITIONS).status_code == 302
