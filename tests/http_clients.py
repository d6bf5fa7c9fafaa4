"""Plain HTTP clients for tests against a served app (runserver or pytest's live server):
a cookie jar per person, the allauth login form with its CSRF token, every status kept."""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TIMEOUT_S = 60


@dataclass
class Hit:
    method: str
    path: str
    status: int
    seconds: float


@dataclass
class Browser:
    """One person's session: cookies, and every response they got."""

    base: str
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> str:
        return self._send("GET", path, None)

    def post(self, path: str, data: dict[str, str], *, csrf_from: str | None = None) -> str:
        """POST a form; the CSRF token comes from the page at ``csrf_from`` (or ``path``)."""
        page = self.get(csrf_from or path)
        token = CSRF_RE.search(page)
        body = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
        return self._send("POST", path, urllib.parse.urlencode(body).encode())

    def login(self, email: str, password: str) -> str:
        return self.post("/auth/login/", {"login": email, "password": password})

    def _send(self, method: str, path: str, body: bytes | None) -> str:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=TIMEOUT_S) as response:
                text = response.read().decode()
                status = response.status
        except urllib.error.HTTPError as exc:
            text, status = exc.read().decode(errors="replace"), exc.code
        self.hits.append(Hit(method, path, status, time.perf_counter() - start))
        return text

    def server_errors(self) -> list[Hit]:
        return [h for h in self.hits if h.status >= 500]
