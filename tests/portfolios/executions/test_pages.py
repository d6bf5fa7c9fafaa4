"""The pages: Record execution on an exported proposal (upload → preview → confirm, or fills
typed by hand), what was done on the proposal page, who may do what, another firm's ids."""

from __future__ import annotations

import base64
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from advisory.models import Account
from tests.factories import reload_proposal
from tests.portfolios.executions.helpers import DAY, books, cash, csv_file, execute, exported

A = "ALPHA-1001"
GOOD = csv_file(f"{A},VOO,sell,2,512.34,{DAY},F-1,", f"{A},IWM,buy,5,250,{DAY},F-2,1250.00")


def funded(desk):
    """Cash for a second proposal's buys after the first one's execution spent it."""
    with scopes_disabled():
        Account.objects.filter(pk=desk.w.account.pk).update(cash_balance=Decimal("10000.00"))
    return desk


def upload(client, p, content=GOOD, name="fills.csv"):
    return client.post(
        f"/proposals/{p.pk}/execution/", {"file": SimpleUploadedFile(name, content, "text/csv")}
    )


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def confirm_from(client, p, preview_html: str):
    fields = {n: hidden(preview_html, n) for n in ("version", "source", "file_name", "payload")}
    return client.post(f"/proposals/{p.pk}/execution/confirm/", fields)


def test_upload_preview_then_confirm(desk, login):
    p = exported(desk)
    client = login(desk.w.advisor)
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    assert f'href="/proposals/{p.pk}/execution/"' in page and "Record execution" in page
    before = books(desk)
    response = upload(client, p)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Preview" in html and "Confirm and mark executed" in html
    assert "Partial" in html and "Filled" in html
    assert books(desk) == before  # a preview writes nothing
    assert base64.b64decode(hidden(html, "payload")) == GOOD
    response = confirm_from(client, p, html)
    assert response.status_code == 302 and response["Location"] == f"/proposals/{p.pk}/"
    assert reload_proposal(p).state == "executed"
    assert cash(desk.w.account) == Decimal("1000.00") + Decimal("1024.68") - Decimal("1250.00")
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    assert "What was done" in page and "Execution recorded: 2 fills" in page
    assert "Partial" in page and "Record execution" not in page
    # The same confirmation again (a double click, a back button) changes nothing.
    after = books(desk)
    again = confirm_from(client, p, html)
    assert again.status_code == 400 and "this one is executed" in again.content.decode()
    assert books(desk) == after


def test_a_bad_file_is_refused_with_its_lines_and_no_confirm_button(desk, login):
    p = exported(desk)
    client = login(desk.w.advisor)
    before = books(desk)
    response = upload(
        client, p, csv_file(f"{A},VOO,sell,2,512.34,{DAY},,", f"ZZ-9,VOO,buy,1,1,{DAY},,")
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was written: 1 problem" in html and "no account &#x27;ZZ-9&#x27; here" in html
    assert "Confirm and mark executed" not in html
    response = upload(client, p, b"%PDF-1.4 not a csv", name="fills.csv")
    assert response.status_code == 400 and "PDF" in response.content.decode()
    assert books(desk) == before


def test_fills_entered_by_hand_are_prefilled_and_previewed(desk, login):
    p = exported(desk)
    client = login(desk.w.advisor)
    html = client.get(f"/proposals/{p.pk}/execution/manual/").content.decode()
    assert (
        'name="fills-0-symbol" value="VOO"' in html and 'name="fills-1-quantity" value="8"' in html
    )
    data = {
        "fills-TOTAL_FORMS": "3", "fills-INITIAL_FORMS": "2",
        "fills-MIN_NUM_FORMS": "0", "fills-MAX_NUM_FORMS": "200",
        "fills-0-account_number": A, "fills-0-symbol": "VOO", "fills-0-side": "sell",
        "fills-0-quantity": "", "fills-0-price": "512.34", "fills-0-trade_date": DAY,
        "fills-1-account_number": A, "fills-1-symbol": "IWM", "fills-1-side": "buy",
        "fills-1-quantity": "8", "fills-1-price": "250", "fills-1-trade_date": DAY,
        "fills-2-account_number": A, "fills-2-symbol": "", "fills-2-side": "buy",
    }  # fmt: skip
    response = client.post(f"/proposals/{p.pk}/execution/manual/", data)
    html = response.content.decode()
    assert response.status_code == 200 and "fills entered by hand" in html
    assert "Not done" in html and "Filled" in html
    assert confirm_from(client, p, html).status_code == 302
    p = reload_proposal(p)
    assert p.state == "executed"
    with scopes_disabled():
        execution = p.executions.get()
    assert (execution.source, execution.file_sha256) == ("manual", "")
    assert cash(desk.w.account) == Decimal("-1000.00")
    bad = {**data, "fills-1-price": "abc", "fills-1-trade_date": "2099-01-01"}
    q = exported(funded(desk))
    response = client.post(f"/proposals/{q.pk}/execution/manual/", bad)
    text = response.content.decode()
    assert response.status_code == 400
    assert "price is not a number" in text and "in the future" in text


def test_compliance_reads_and_clients_see_nothing(desk, login):
    p = exported(desk)
    execution = execute(desk, p, GOOD)
    q = exported(funded(desk))
    client = login(desk.w.compliance)
    assert client.get(f"/executions/{execution.pk}/").status_code == 200
    page = client.get(f"/proposals/{p.pk}/").content.decode()
    assert "What was done" in page
    assert client.get(f"/proposals/{q.pk}/execution/").status_code == 403
    assert client.get(f"/proposals/{q.pk}/execution/manual/").status_code == 403
    before = books(desk)
    payload = base64.b64encode(csv_file(f"{A},IWM,buy,8,250,{DAY},,")).decode()
    response = client.post(
        f"/proposals/{q.pk}/execution/confirm/", {"version": "4", "payload": payload}
    )
    assert response.status_code == 403 and books(desk) == before
    client = login(desk.w.client)
    assert client.get(f"/executions/{execution.pk}/").status_code == 403
    assert client.get(f"/proposals/{q.pk}/execution/").status_code == 403


def test_the_execution_page_lists_fills_and_relieved_lots(desk, login):
    execution = execute(desk, exported(desk), GOOD)
    html = login(desk.w.advisor).get(f"/executions/{execution.pk}/").content.decode()
    assert f"lot #{desk.w.lot.pk}: 2 acquired Mar 1, 2024, cost $800.00, gain +$224.68" in html
    assert "F-1" in html and "SHA-256" in html


@pytest.mark.parametrize("suffix", ["execution/", "execution/manual/", "execution/confirm/"])
def test_another_firms_proposal_is_a_404(desk, world_b, login, suffix):
    p = exported(desk)
    client = login(world_b.admin)
    assert client.get(f"/proposals/{p.pk}/{suffix}").status_code == 404
    payload = base64.b64encode(GOOD).decode()
    response = client.post(f"/proposals/{p.pk}/{suffix}", {"version": "4", "payload": payload})
    assert response.status_code == 404
    assert reload_proposal(p).state == "exported"


def test_another_firms_execution_is_a_404(desk, world_b, login):
    execution = execute(desk, exported(desk), GOOD)
    assert login(world_b.admin).get(f"/executions/{execution.pk}/").status_code == 404
    assert login(world_b.compliance).get(f"/executions/{execution.pk}/").status_code == 404


def test_a_proposal_not_exported_cannot_be_recorded(desk, login):
    from tests.factories import fake_proposal

    p = fake_proposal(desk)
    client = login(desk.w.advisor)
    html = client.get(f"/proposals/{p.pk}/execution/").content.decode()
    assert "Only an exported proposal can be marked executed; this one is draft" in html
    assert "Upload the execution file" not in html
    payload = base64.b64encode(csv_file(f"{A},IWM,buy,8,250,{DAY},,")).decode()
    before = books(desk)
    response = client.post(
        f"/proposals/{p.pk}/execution/confirm/",
        {"version": "1", "payload": payload, "source": "file", "file_name": "x.csv"},
    )
    assert response.status_code == 400 and "this one is draft" in response.content.decode()
    assert books(desk) == before
