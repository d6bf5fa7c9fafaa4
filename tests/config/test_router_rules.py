"""Which models the replica router never reads from the replica: whatever decides who may do
what (a deactivated member, a revoked API token, a signed-out session must take effect at
once, not after the replica's lag). Pure: no standby needed (tests/config/replica has those)."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.http import FileResponse, StreamingHttpResponse
from django.test import RequestFactory

from advisory.models import ApiToken, Household, Membership, User
from config.db_routing import router
from config.db_routing.middleware import ReplicaReadsMiddleware
from config.db_routing.router import PAGE, _primary_only, _read_only
from portfolios.models import TaxLot


def test_access_deciding_models_always_read_the_primary():
    for model in (Membership, ApiToken, User, Session):
        assert _primary_only(model), model


def test_tenant_data_may_read_the_replica():
    for model in (Household, TaxLot):
        assert not _primary_only(model), model


def test_a_streamed_get_body_is_read_as_its_page(monkeypatch):
    """A streamed page's body runs after the middleware returned: it is marked read-only
    again while it streams, and the mark is gone afterwards (and for a POST, never set)."""
    monkeypatch.setattr(router, "replica_configured", lambda: True)
    seen: list[str | None] = []

    def body():
        seen.append(_read_only.get())
        yield b"row\n"

    def view(request):
        return StreamingHttpResponse(body())

    middleware = ReplicaReadsMiddleware(view)
    response = middleware(RequestFactory().get("/export.csv"))
    assert _read_only.get() is None and seen == []  # nothing read yet
    assert b"".join(response.streaming_content) == b"row\n"
    assert seen == [PAGE] and _read_only.get() is None
    response = middleware(RequestFactory().post("/export.csv"))
    assert b"".join(response.streaming_content) == b"row\n"
    assert seen == [PAGE, None]


def test_a_file_download_keeps_its_file_to_stream(monkeypatch, tmp_path):
    """A FileResponse reads no rows: it is not wrapped, so the server's sendfile still applies."""
    monkeypatch.setattr(router, "replica_configured", lambda: True)
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 test")
    middleware = ReplicaReadsMiddleware(lambda request: FileResponse(pdf.open("rb")))
    response = middleware(RequestFactory().get("/portal/documents/1/"))
    assert response.file_to_stream is not None
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"
    response.close()
