"""Driving Debian's Chromium through Playwright for the browser tests: launch flags, signing
in and out, step screenshots, and collecting console errors and failed static files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright

from tests import factories

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"  # not committed
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000


class Shots:
    """Numbered full-page screenshots of a test's steps under artifacts/browser/<name>/."""

    def __init__(self, page: Page, name: str):
        self.page = page
        self.n = 0
        self.folder = ARTIFACTS / name
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):  # this run's steps only, not an earlier run's
            old.unlink()

    def __call__(self, step: str) -> None:
        self.n += 1
        # caret="initial": the default ("hide") leaves style="" on every input, which
        # htmx's attribute settle then copies back, and the CSP (style-src 'self')
        # reports that as a console error the app never caused.
        self.page.screenshot(
            path=str(self.folder / f"{self.n:02d}-{step}.png"), full_page=True, caret="initial"
        )


@dataclass
class Problems:
    """Console errors, page errors and static files that failed to load."""

    errors: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on(
            "console",
            lambda m: self.errors.append(f"{page.url}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "response",
            lambda r: (
                self.failed.append(f"{r.status} {r.url}")
                if "/static/" in r.url and r.status >= 400
                else None
            ),
        )


@contextmanager
def chromium(*, width: int = 1280, height: int = 900) -> Iterator[BrowserContext]:
    """A headless Chromium context that accepts downloads."""
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                accept_downloads=True, viewport={"width": width, "height": height}
            )
            context.set_default_timeout(TIMEOUT_MS)
            yield context
        finally:
            browser.close()


def sign_in(page: Page, base: str, membership, *, totp: bool = False) -> None:
    """Sign in with the password, and with a code from the user's authenticator app when
    ``totp`` (enrolled with factories.enrol_totp): that also counts as a step-up."""
    page.goto(f"{base}/auth/login/")
    page.locator("input[name=login]").fill(membership.user.email)
    page.locator("input[name=password]").fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    if totp:
        code = page.locator("input[name=code]")
        code.fill(factories.totp_code(membership.user))
        code.press("Enter")
    expect(page.locator(".user-id")).to_have_text(membership.user.email)


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator(".user-id")).to_have_count(0)
