"""A line logged while a request is served is one JSON object carrying that request's id (the
one in its X-Request-ID response header), with the JSON format LOGGING selects."""

from __future__ import annotations

import copy
import io
import json
import logging
import logging.config

import pytest
from django.conf import settings
from django.test import Client

from advisory.health.logs import RequestIdFilter

from .conftest import CLOSED_PORT_URL


@pytest.fixture
def json_logging():
    """The project's LOGGING with the JSON format; returns the lines its console wrote."""
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["formatter"] = "json"
    logging.config.dictConfig(config)
    stream = io.StringIO()
    (console,) = logging.getLogger().handlers
    console.setStream(stream)
    yield lambda: [line for line in stream.getvalue().splitlines() if line.strip()]
    logging.config.dictConfig(settings.LOGGING)


def test_a_line_logged_in_a_request_is_json_with_its_request_id(db, json_logging):
    response = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="proxy-chosen-0001")
    assert response.status_code == 404
    records = [json.loads(line) for line in json_logging()]  # every line is JSON
    (record,) = [r for r in records if r["logger"] == "django.request"]
    assert record["message"] == "Not Found: /no-such-page/"
    assert record["level"] == "WARNING"
    assert record["request_id"] == response["X-Request-ID"]
    assert record["client_request_id"] == "proxy-chosen-0001"  # beside ours, never instead
    assert record["time"]


def test_outside_a_request_the_ids_are_a_dash(json_logging):
    logging.getLogger("ballast.test").warning("nightly %s", "started", extra={"firms": 2})
    (line,) = json_logging()
    record = json.loads(line)
    assert record["message"] == "nightly started"
    assert record["request_id"] == "-" and record["firms"] == 2


def test_the_format_is_chosen_by_the_setting():
    assert settings.LOGGING["handlers"]["console"]["formatter"] == settings.BALLAST_LOG_FORMAT
    assert "request_id" in settings.LOGGING["handlers"]["console"]["filters"]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    assert RequestIdFilter().filter(record) and record.request_id == "-"


def test_a_line_logged_inside_the_view_carries_the_id_too(db, json_logging, broker):
    broker(CLOSED_PORT_URL)
    response = Client().get("/readyz")
    assert response.status_code == 503
    records = [json.loads(line) for line in json_logging()]
    (failed,) = [r for r in records if r["logger"] == "health_check"]
    assert "broker unreachable" in failed["exc_info"]
    assert failed["request_id"] == response["X-Request-ID"]
