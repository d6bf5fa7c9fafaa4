"""What the load test's simulated people do (locust; no Django here: locust runs in its own
process, under gevent).

The runner passes ``BALLAST_LOAD_PLAN`` (a JSON file: the password, advisors with their
households, clients with their released report, compliance officers), ``BALLAST_LOAD_STATUS``
(a JSON file this process writes at the end), ``BALLAST_LOAD_USERS`` (the level's users),
``BALLAST_LOAD_WINDOW_S`` (how long the timed window lasts) and ``BALLAST_LOAD_THINK_S``
(``low,high``: the seconds a person spends reading a page before the next click).

Each user signs in through the login form on start; the i-th user of a kind takes the i-th
person of that kind, round robin. The timed window opens when the last user has signed in
(a sign-in is a deliberately slow password hash: a whole firm signing in within seconds is
the morning's ramp, not the day's load) and lasts ``BALLAST_LOAD_WINDOW_S``; then this
process stops itself. Every request is recorded with its start time, duration, name and
status, so the runner takes the window's figures and counts 5xx over the whole level.

One task is one click: a page, or an action and the page it lands on. Between tasks a person
reads for ``BALLAST_LOAD_THINK_S`` seconds.

- advisors (weight 6): home (their households), a search of them, the open proposals, a
  household page; now and then a proposal: start one on a household (``another=1``: a
  household may already have an open one), which lands on the proposal, then trim a buy's
  quantity by one through the htmx endpoint (CSRF header, the proposal's version);
- clients (weight 3): the portal, its documents page, the released report's PDF;
- compliance (weight 1): the audit trail, unfiltered and filtered.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from collections import Counter
from functools import cache
from pathlib import Path

import gevent
from locust import HttpUser, between, events, task

STATUS_FILE = os.environ.get("BALLAST_LOAD_STATUS", "")
USERS = int(os.environ.get("BALLAST_LOAD_USERS", "0") or 0)
WINDOW_S = float(os.environ.get("BALLAST_LOAD_WINDOW_S", "0") or 0)
THINK_S = tuple(float(s) for s in os.environ.get("BALLAST_LOAD_THINK_S", "3,10").split(","))
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TRADE_RE = re.compile(r'action="/proposals/(\d+)/trades/(\d+)/"')
VERSION_RE = re.compile(r'name="version" value="(\d+)"')
PROPOSAL_URL_RE = re.compile(r"/proposals/\d+/$")
QTY_RE = re.compile(r'name="quantity" value="([0-9.]+)"')
STATUS: Counter[str] = Counter()
# (start epoch s, ms, name, status or 0, failed: an error status, no answer or a wrong answer)
REQUESTS: list[tuple[float, float, str, int, bool]] = []
WINDOW: dict[str, float | None] = {"start": None, "end": None}
_signed_in = itertools.count(1)
# BALLAST_LOAD_ONE_EACH=1: exactly one client and one compliance officer, advisors for the
# rest (a run of a few users then still has every kind; weights alone may leave one out).
ONE_EACH = int(os.environ.get("BALLAST_LOAD_ONE_EACH", "0") == "1")
_next = {kind: itertools.count() for kind in ("advisors", "clients", "compliance")}


@events.request.add_listener
def _count(
    name: str = "",
    response_time: float = 0.0,
    response=None,
    start_time: float | None = None,
    exception: BaseException | None = None,
    **_: object,
) -> None:
    code = getattr(response, "status_code", 0) or 0
    STATUS["none" if not code else f"{code // 100}xx"] += 1
    started = start_time if start_time is not None else time.time() - response_time / 1000
    REQUESTS.append((started, round(response_time, 1), name, code, exception is not None))


@events.quitting.add_listener
def _write_status(**_: object) -> None:
    if WINDOW["start"] is not None and WINDOW["end"] is None:
        WINDOW["end"] = time.time()
    if STATUS_FILE:
        written = {"statuses": STATUS, "requests": REQUESTS, "window": WINDOW}
        Path(STATUS_FILE).write_text(json.dumps(written))


def _signed_in_one(environment) -> None:
    """Open the timed window when the level's last user has signed in; close it (and stop
    locust) ``WINDOW_S`` later."""
    if next(_signed_in) != USERS or WINDOW["start"] is not None:
        return
    WINDOW["start"] = time.time()

    def close() -> None:
        gevent.sleep(WINDOW_S)
        WINDOW["end"] = time.time()
        environment.runner.quit()

    if WINDOW_S > 0:
        gevent.spawn(close)


_addresses = itertools.count(1)


def _address() -> str:
    n = next(_addresses)
    return f"10.20.{n // 250}.{n % 250 + 1}"


@cache
def plan() -> dict:
    """Read on first use, so importing this module needs no plan (tools, type checks)."""
    return json.loads(Path(os.environ["BALLAST_LOAD_PLAN"]).read_text())


def _pick(kind: str) -> dict | str:
    people = plan()[kind]
    return people[next(_next[kind]) % len(people)]


class Person(HttpUser):
    abstract = True
    wait_time = between(*THINK_S)

    def login(self, email: str) -> None:
        # Each person from an address of their own, as a firm's people reach the app through
        # its reverse proxy (the server trusts one proxy hop): the sign-in rate limit per
        # address then sees one person, not the whole load test from 127.0.0.1.
        self.client.headers["X-Forwarded-For"] = _address()
        try:
            page = self.client.get("/auth/login/", name="/auth/login/")
            match = CSRF_RE.search(page.text)
            fields = {"login": email, "password": plan()["password"]}
            fields["csrfmiddlewaretoken"] = match.group(1) if match else ""
            with self.client.post(
                "/auth/login/", data=fields, name="/auth/login/ POST", catch_response=True
            ) as response:
                if "/auth/login/" in response.url:
                    response.failure(f"sign-in of {email} refused")
        finally:
            _signed_in_one(self.environment)

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")


class Advisor(Person):
    weight = 6

    def on_start(self) -> None:
        me = _pick("advisors")
        self.households = me["households"]
        self.login(me["email"])

    @task(3)
    def home(self) -> None:
        self.client.get("/", name="/ (home)")

    @task(1)
    def search(self) -> None:
        self.client.get("/?q=household&page=2", name="/?q= (households search)")

    @task(2)
    def open_proposals(self) -> None:
        self.client.get("/proposals/?tab=open", name="/proposals/")

    @task(4)
    def household(self) -> None:
        household = random.choice(self.households)  # noqa: S311
        self.client.get(f"/households/{household}/", name="/households/[id]/")

    @task(1)
    def propose_and_edit(self) -> None:
        household = random.choice(self.households)  # noqa: S311
        page = self.client.get(f"/households/{household}/", name="/households/[id]/")
        match = CSRF_RE.search(page.text)
        fields = {"csrfmiddlewaretoken": match.group(1) if match else "", "mode": "to_band"}
        fields["another"] = "1"
        self.wait()  # reads the household page before proposing
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
        self.wait()  # reads the proposal before changing a trade
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

    @task(2)
    def portal(self) -> None:
        self.client.get("/portal/", name="/portal/")

    @task(1)
    def documents(self) -> None:
        self.client.get("/portal/documents/", name="/portal/documents/")

    @task(1)
    def report_pdf(self) -> None:
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

    @task(2)
    def trail(self) -> None:
        self.client.get("/compliance/audit/", name="/compliance/audit/")

    @task(1)
    def by_role(self) -> None:
        self.client.get("/compliance/audit/?role=advisor", name="/compliance/audit/?filters")

    @task(1)
    def second_page(self) -> None:
        self.client.get("/compliance/audit/?role=client&page=2", name="/compliance/audit/?filters")
