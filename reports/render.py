"""The household report: a :class:`~reports.report_data.ReportData` in, PDF/A-3b bytes out.

No database: the caller gathers the data (and stores it as the report's snapshot); this module
only lays it out with Django templates and WeasyPrint. Everything the PDF needs (stylesheet,
fonts, logo) comes from the project's own static files through :class:`StaticFilesFetcher`,
which refuses every other ``file://`` path and every network URL.
"""

from __future__ import annotations

import datetime as dt
import functools
import mimetypes
import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils._os import safe_join
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portfolios.charts import MixBar, mix_chart, value_chart
from reports.report_data import ReportData

# Static files are addressed under a host that can never resolve (RFC 2606 ".invalid"), so a
# URL the fetcher does not serve cannot reach anything even by mistake.
STATIC_BASE = "https://static.ballast.invalid/"
TEMPLATE = "reports/report/household.html"
STYLESHEET = "reports/report.css"
PDF_VARIANT = "pdf/a-3b"
DEFAULT_BRAND = "#0f766e"
FONT_FAMILY = "Report Sans"  # the @font-face name in report.css (DejaVu Sans, static/fonts/)
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


class RefusedURL(ValueError):
    """A URL the report renderer will not fetch (WeasyPrint logs it and skips the resource)."""


def _static_path(relative: str) -> Path | None:
    """The file behind a static path, or None; refuses anything that climbs out."""
    if not relative or relative.startswith(("/", "\\")) or "\\" in relative or "\x00" in relative:
        return None
    if any(part in ("", ".", "..") for part in relative.split("/")):
        return None
    try:
        # The finders (STATICFILES_DIRS, app static/) join with safe_join, as does this.
        found = finders.find(relative)
        if found is None and getattr(settings, "STATIC_ROOT", None):
            found = safe_join(settings.STATIC_ROOT, relative)
    except SuspiciousFileOperation:
        return None
    if not found or not Path(found).is_file():
        return None
    return Path(found)


class StaticFilesFetcher(URLFetcher):
    """Serves ``STATIC_BASE + <static path>`` from the project's static files; refuses the rest.

    Every refused URL is kept in :attr:`refused` (tests read it; callers may log it).
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("https",), allow_redirects=False)
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url.startswith(STATIC_BASE):
            parts = urlsplit(url)
            path = _static_path(unquote(parts.path.removeprefix("/")))
            if path is not None and not parts.query and not parts.fragment:
                self.served.append(url)
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    url, path.read_bytes(), headers={"Content-Type": content_type}
                )
        self.refused.append(url)
        raise RefusedURL(f"the report renderer fetches only the project's static files: {url}")


@functools.cache
def _shared_style() -> tuple[CSS, FontConfiguration]:
    """The stylesheet and its fonts, parsed once per process (≈ 12 % of a render)."""
    font_config = FontConfiguration()
    css = CSS(
        url=STATIC_BASE + STYLESHEET, url_fetcher=StaticFilesFetcher(), font_config=font_config
    )
    return css, font_config


def _w3c(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def html_to_pdf(
    html: str, *, generated_at: dt.datetime, fetcher: StaticFilesFetcher | None = None
) -> bytes:
    """Lay out report HTML as PDF/A-3b, dated ``generated_at``, with static files only."""
    css, font_config = _shared_style()
    document = HTML(
        string=html, base_url=STATIC_BASE, url_fetcher=fetcher or StaticFilesFetcher()
    ).render(stylesheets=[css], font_config=font_config)
    stamp = _w3c(generated_at)
    document.metadata.created = stamp
    document.metadata.modified = stamp
    pdf: bytes = document.write_pdf(pdf_variant=PDF_VARIANT)
    return pdf


def report_context(data: ReportData, *, generated_at: dt.datetime) -> dict[str, Any]:
    """What the templates see: the data plus charts and a few derived values."""
    brand = data.firm.brand_colour if _HEX_COLOUR.fullmatch(data.firm.brand_colour) else None
    logo = data.firm.logo_static_path
    change = None
    if data.totals.value_start is not None:
        change = data.totals.value_end - data.totals.value_start
    return {
        "r": data,
        "brand": brand or DEFAULT_BRAND,
        "logo_url": STATIC_BASE + logo if logo else None,
        "change": change,
        "generated_at": generated_at.astimezone(dt.UTC),
        "generated_w3c": _w3c(generated_at),
        "stale_count": sum(h.stale for a in data.accounts for h in a.holdings),
        "mix_chart": mix_chart(
            [MixBar(row.label, row.weight, row.target) for row in data.allocation],
            font_family=FONT_FAMILY,
        ),
        "value_chart": value_chart(
            [(p.date, p.value) for p in data.history], font_family=FONT_FAMILY
        ),
    }


def render_household_report(data: ReportData, *, generated_at: dt.datetime) -> bytes:
    """The household report PDF (PDF/A-3b, Letter), the same text for the same inputs."""
    html = render_to_string(TEMPLATE, report_context(data, generated_at=generated_at))
    return html_to_pdf(html, generated_at=generated_at)
