"""The embedded default serves a small team: `make run`'s settings (SQLite file, in-process
tasks, Django's threaded server) with the ten demo users at once — logging in together,
browsing their pages and editing a proposal — and not one 5xx.

Before SQLite ran in WAL mode with immediate write transactions, 3 of 4 simultaneous logins
got "database is locked"; this test is that scene with ten people.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tests.factories import free_port
from tests.http_clients import Browser

ROOT = Path(__file__).resolve().parents[2]  # the repository
PASSWORD = "ballast-demo-2025"  # README: every demo user's password
USERS = [
    "admin@harborpoint.example",
    "advisor@harborpoint.example",
    "advisor2@harborpoint.example",
    "advisor3@harborpoint.example",
    "compliance@harborpoint.example",
    "client@harborpoint.example",
    "admin@summitridge.example",
    "advisor@summitridge.example",
    "compliance@summitridge.example",
    "client@summitridge.example",
]
ROUNDS = 3
PAGES_PER_ROUND = 4

pytestmark = pytest.mark.integration


def manage(env: dict[str, str], *args: str, **kwargs) -> subprocess.Popen | None:
    cmd = [sys.executable, str(ROOT / "manage.py"), *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(cmd, env=env, cwd=ROOT, **kwargs)
    subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    return None


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """`make run` in miniature: migrate a fresh SQLite file, seed the demo, serve it."""
    db = tmp_path_factory.mktemp("demo") / "ballast.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{db}",
        CELERY_BROKER_URL="",
        DJANGO_SETTINGS_MODULE="config.settings.demo",
    )
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    port = free_port()
    log = (db.parent / "server.log").open("w")
    server = manage(
        env,
        "runserver",
        f"127.0.0.1:{port}",
        "--noreload",
        background=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/auth/login/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the demo server did not start") from None
                time.sleep(0.3)
        yield base, db
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def links(html: str, kind: str) -> list[str]:
    return list(dict.fromkeys(re.findall(rf'href="(/{kind}/\d+/)"', html)))


def browse(browser: Browser, email: str, start: threading.Barrier) -> None:
    start.wait()  # everyone signs in at the same moment
    landing = browser.login(email, PASSWORD)
    assert email in landing, f"{email} did not land signed in"
    for _ in range(ROUNDS):
        home = browser.get("/")
        pages = (links(home, "households") + links(home, "accounts"))[:PAGES_PER_ROUND]
        for path in pages:
            page = browser.get(path)
            pages += [p for p in links(page, "accounts") if p not in pages][:1]
        if "compliance" in email:
            browser.get("/compliance/audit/")


def propose_and_edit(browser: Browser) -> None:
    """An advisor proposes for the worst household of their book and edits a trade."""
    household = links(browser.get("/"), "households")[0]
    page = browser.post(f"{household}propose/", {"mode": "to_target"}, csrf_from=household)
    edit = re.search(r'action="(/proposals/(\d+)/trades/\d+/)"', page)
    assert edit, "the proposal page has no editable trade"
    proposal = f"/proposals/{edit.group(2)}/"
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    quantity = re.search(r'name="quantity" value="([^"]+)"', page).group(1)
    new_quantity = str(max(int(float(quantity)) - 1, 1))
    browser.post(edit.group(1), {"version": version, "quantity": new_quantity}, csrf_from=proposal)
    assert browser.hits[-1].status < 400


def test_ten_demo_users_at_once_never_see_a_server_error(demo_server):
    base, _ = demo_server
    start = threading.Barrier(len(USERS))
    browsers = {email: Browser(base) for email in USERS}
    failures: list[BaseException] = []

    def person(email: str) -> None:
        try:
            browse(browsers[email], email, start)
            if email == "advisor@harborpoint.example":
                propose_and_edit(browsers[email])
        except BaseException as exc:  # reported below with every other person's
            failures.append(exc)

    threads = [threading.Thread(target=person, args=(e,)) for e in USERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not any(t.is_alive() for t in threads), "a client hung"
    errors = [(e, h) for e, b in browsers.items() for h in b.server_errors()]
    assert errors == []
    assert failures == []
    hits = [h for b in browsers.values() for h in b.hits]
    assert len(hits) >= len(USERS) * (2 + ROUNDS)  # every person really browsed
    posts = [h for h in hits if h.method == "POST"]
    assert len(posts) == len(USERS) + 2  # ten logins, a proposal and an edit
