"""What the load test's simulated people do (locust; no Django here: locust runs in its own
process, under gevent).

The runner passes ``BALLAST_LOAD_PLAN`` (a JSON file: the password, advisors with their
households, clients with their released report, compliance officers) and
``BALLAST_LOAD_STATUS`` (a JSON file this process writes at the end: responses by status
class, so 5xx are counted apart from other failures, and the time of every request but the
sign-in's, whose password hash is slow on purpose). Each user signs in through the login
form on start; the i-th user of a kind takes the i-th person of that kind, round robin.

- advisors (weight 6): home (their households), a search of them, the open proposals, a
  household page; one task in five a proposal: start one on a household (``another=1``: a
  household may already have an open one), open it, trim a buy's quantity by one through
  the htmx endpoint (CSRF header, the proposal's version);
- clients (weight 3): the portal, its documents page, the released report's PDF;
- compliance (weight 1): the audit trail, unfiltered and filtered.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from collections import Counter
from functools import cache
from pathlib import Path

from locust import HttpUser, between, events, task

STATUS_FILE = os.environ.get("BALLAST_LOAD_STATUS", "")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TRADE_RE = re.compile(r'action="/proposals/(\d+)/trades/(\d+)/"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
PROPOSAL_URL_RE = re.compile(r"/proposals/\d+/$")
QTY_RE = re.compile(r'name="quantity" value="([0-9.]+)"')
STATUS: Counter[str] = Counter()
PAGE_MS: list[float] = []  # every request but sign-in (a deliberately slow hash)
# BALLAST_LOAD_ONE_EACH=1: exactly one client and one compliance officer, advisors for the
# rest (a run of a few users then still has every kind; weights alone may leave one out).
ONE_EACH = int(os.environ.get("BALLAST_LOAD_ONE_EACH", "0") == "1")
_next = {kind: itertools.count() for kind in ("advisors", "clients", "compliance")}


@events.request.add_listener
def _count(name: str = "", response_time: float = 0.0, response=None, **_: object) -> None:
    code = getattr(response, "status_code", 0) or 0
    STATUS["none" if not code else f"{code // 100}xx"] += 1
    if not name.startswith("/auth/"):
        PAGE_MS.append(response_time)


@events.quitting.add_listener
def _write_status(**_: object) -> None:
    if STATUS_FILE:
        Path(STATUS_FILE).write_text(json.dumps({"statuses": STATUS, "page_ms": PAGE_MS}))


@cache
def plan() -> dict:
    """Read on first use, so importing this module needs no plan (tools, type checks)."""
    return json.loads(Path(os.environ["BALLAST_LOAD_PLAN"]).read_text())


def _pick(kind: str) -> dict | str:
    people = plan()[kind]
    return people[next(_next[kind]) % len(people)]


class Person(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def login(self, email: str) -> None:
        page = self.client.get("/auth/login/", name="/auth/login/")
        match = CSRF_RE.search(page.text)
        fields = {"login": email, "password": plan()["password"]}
        fields["csrfmiddlewaretoken"] = match.group(1) if match else ""
        with self.client.post(
            "/auth/login/", data=fields, name="/auth/login/ POST", catch_response=True
        ) as response:
            if "/auth/login/" in response.url:
                response.failure(f"sign-in of {email} refused")

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")


class Advisor(Person):
    weight = 6

    def on_start(self) -> None:
        me = _pick("advisors")
        self.households = me["households"]
        self.login(me["email"])

    @task(4)
    def browse(self) -> None:
        self.client.get("/", name="/ (home)")
        self.client.get("/?q=household&page=2", name="/?q= (households search)")
        self.client.get("/proposals/?tab=open", name="/proposals/")
        household = random.choice(self.households)  # noqa: S311
        self.client.get(f"/households/{household}/", name="/households/[id]/")

    @task(1)
    def propose_and_edit(self) -> None:
        household = random.choice(self.households)  # noqa: S311
        page = self.client.get(f"/households/{household}/", name="/households/[id]/")
        match = CSRF_RE.search(page.text)
        fields = {"csrfmiddlewaretoken": match.group(1) if match else "", "mode": "to_band"}
        fields["another"] = "1"
        with self.client.post(
            f"/households/{household}/propose/",
            data=fields,
            name="/households/[id]/propose/",
            catch_response=True,
        ) as created:  # follows the redirect: the proposal page is the GET that answers it
            if not PROPOSAL_URL_RE.search(created.url or ""):
                created.failure(f"no proposal: ended on {created.url}")
                return
        edit = _buy_to_trim(created.text)
        version = VERSION_RE.search(created.text)
        if edit is None or version is None:
            return  # no buy of more than one share to trim (or in band: no trades at all)
        proposal_id, trade_id, quantity = edit
        with self.client.post(
            f"/proposals/{proposal_id}/trades/{trade_id}/",
            data={"version": version.group(1), "quantity": str(quantity - 1)},
            headers={"HX-Request": "true", "X-CSRFToken": self.csrf()},
            name="/proposals/[id]/trades/[id]/ (htmx)",
            catch_response=True,
        ) as edited:
            if "Trade updated." not in edited.text:  # htmx errors answer 200, in the partial
                edited.failure("the quantity was not saved")


def _buy_to_trim(page: str) -> tuple[str, str, int] | None:
    """The first buy of at least two whole shares: (proposal id, trade id, quantity). One share
    less of a buy is an edit that always validates; one share less of a sell can overdraw
    the account's cash, one more can sell more than is held."""
    for row in page.split('<tr id="trade-')[1:]:
        trade, quantity = TRADE_RE.search(row), QTY_RE.search(row)
        if ">Buy<" in row and trade and quantity and float(quantity.group(1)) >= 2:
            return trade.group(1), trade.group(2), int(float(quantity.group(1)))
    return None


class PortalClient(Person):
    weight = 3
    fixed_count = ONE_EACH

    def on_start(self) -> None:
        me = _pick("clients")
        self.report = me["report"]
        self.login(me["email"])

    @task
    def portal(self) -> None:
        self.client.get("/portal/", name="/portal/")
        self.client.get("/portal/documents/", name="/portal/documents/")
        with self.client.get(
            f"/portal/documents/{self.report}/", name="/portal/documents/[id]/", catch_response=True
        ) as pdf:
            if not pdf.content.startswith(b"%PDF"):
                pdf.failure("the report is not a PDF")


class Compliance(Person):
    weight = 1
    fixed_count = ONE_EACH

    def on_start(self) -> None:
        self.login(_pick("compliance"))

    @task
    def search(self) -> None:
        self.client.get("/compliance/audit/", name="/compliance/audit/")
        self.client.get("/compliance/audit/?role=advisor", name="/compliance/audit/?filters")
        self.client.get("/compliance/audit/?role=client&page=2", name="/compliance/audit/?filters")
