"""Friendly 403, 404 and 500 pages (templates/403.html, 404.html, 500.html, 403_csrf.html):
what the app shows with DEBUG off, as in production and the demo."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_an_unknown_address_is_the_friendly_404_inside_the_app(world_a, login):
    client = login(world_a.advisor)
    response = client.get("/no-such-page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body and 'class="error-page"' in body
    assert 'class="topbar"' in body and "Sign out" in body  # the signed-in layout around it
    assert "URLconf" not in body


def test_a_refused_action_is_the_friendly_403(world_a, login):
    client = login(world_a.compliance)  # compliance reads, never proposes
    response = client.post(f"/households/{world_a.household.pk}/propose/", {"mode": "to_band"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "You can&#x27;t do that here" in body or "You can't do that here" in body
    assert 'class="error-page"' in body


def test_an_expired_form_is_the_friendly_csrf_page(world_a):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/auth/login/", {"login": "x@example.com", "password": "y"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "This form has expired" in body and "CSRF token" not in body


@override_settings(DEBUG=False)
def test_the_500_page_stands_alone():
    # A server error may come from the database or a context processor, so the page uses
    # neither: no base.html, no request.
    html = render_to_string("500.html")
    assert "Something went wrong" in html and "css/ballast.css" in html
    assert "topbar" not in html
