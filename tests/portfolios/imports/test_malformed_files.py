"""Generated malformed position files are each rejected with nothing written.

1,000 files go straight to the validation the view and the task use
(:func:`plan_positions`); a smaller number goes through the upload view.
"""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from advisory.models import AuditEvent
from portfolios.imports.positions import plan_positions
from portfolios.models import PositionImport, TaxLot
from tests.factories import POSITIONS_HEADER as HEADER

GOOD_ROW = "ALPHA-1001,VOO,12,6000.00,2024-03-01\n"
CELL = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)


def _with_rows(bad_row: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """A good header and good rows around one bad row, anywhere in the file."""
    return st.tuples(st.integers(0, 3), bad_row, st.integers(0, 3)).map(
        lambda t: (HEADER + GOOD_ROW * t[0] + t[1] + GOOD_ROW * t[2]).encode()
    )


# Without the date column no header can match (hypothesis also tries this module's constants).
random_bytes = st.binary(max_size=400).filter(lambda data: b"acquired_date" not in data.lower())
truncated_utf8 = st.tuples(st.integers(0, 3), st.sampled_from(["é", "€", "𝄞"])).map(
    lambda t: (
        (HEADER + GOOD_ROW * t[0] + "ALPHA-1001,VOO,1,,2024-03-01,").encode() + t[1].encode()[:-1]
    )
)
wrong_header = (
    st.lists(CELL, min_size=1, max_size=6)
    .map(lambda cells: (",".join(cells) + "\n" + GOOD_ROW).encode())
    .filter(lambda data: not data.lower().startswith(HEADER.strip().encode()))
)
huge_field = st.integers(140_000, 300_000).map(
    lambda n: (HEADER + "ALPHA-1001,VOO," + "1" * n + ",,2024-03-01\n").encode()
)
nul_bytes = st.tuples(st.integers(0, len(HEADER) + len(GOOD_ROW)), st.binary(max_size=3)).map(
    lambda t: (HEADER + GOOD_ROW).encode()[: t[0]] + b"\x00" + t[1] + (GOOD_ROW).encode()
)
formula_cell = st.tuples(st.sampled_from("=+-@"), CELL, st.sampled_from([0, 1])).map(
    lambda t: (
        f"ALPHA-1001,{t[0]}{t[1]},12,,2024-03-01\n"
        if t[2]
        else f"{t[0]}{t[1]},VOO,12,,2024-03-01\n"
    )
)
mixed_delimiters = st.sampled_from([";", "\t", "|"]).map(
    lambda d: d.join(["ALPHA-1001", "VOO", "12", "", "2024-03-01"]) + "\n"
)
bad_cells = st.sampled_from(
    [
        "ALPHA-1001,VOO,NaN,,2024-03-01\n",
        "ALPHA-1001,VOO,1e5,,2024-03-01\n",
        "ALPHA-1001,VOO,1,,2999-01-01\n",
        "ALPHA-1001,VOO,1,,31/02/2024\n",
        'ALPHA-1001,VOO,"1,000",,2024-03-01\n',
        'ALPHA-1001,"VOO\n',
        "ALPHA-1001,VOO,1\n",
        "ZETA-1001,VOO,1,,2024-03-01\n",
        GOOD_ROW * 2,  # a repeated row: every copy is refused
    ]
)
MALFORMED = st.one_of(
    random_bytes,
    truncated_utf8,
    wrong_header,
    huge_field,
    nul_bytes,
    _with_rows(formula_cell),
    _with_rows(mixed_delimiters),
    _with_rows(bad_cells),
)


def counts() -> tuple[int, int, int]:
    with scopes_disabled():
        return TaxLot.objects.count(), AuditEvent.objects.count(), PositionImport.objects.count()


@settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=MALFORMED)
def test_malformed_files_are_rejected_by_the_validation(world_a, world_b, bnd, data):
    before = counts()
    plan = plan_positions(world_a.firm, io.BytesIO(data))
    assert not plan.result.ok
    assert plan.groups == {}  # nothing to apply
    assert 1 <= len(plan.result.errors) <= 1000
    assert all(len(e.message) < 2_000 for e in plan.result.errors)
    assert counts() == before


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=MALFORMED)
def test_malformed_uploads_are_rejected_with_nothing_written(world_a, bnd, client, data):
    client.force_login(world_a.admin.user, backend="django.contrib.auth.backends.ModelBackend")
    before = counts()
    upload = SimpleUploadedFile("positions.csv", data, content_type="text/csv")
    response = client.post("/imports/positions/", {"file": upload, "preset": "generic"})
    assert response.status_code == 200  # the page again, with the errors; no redirect
    body = response.content.decode()
    assert "Nothing was written" in body or 'class="field-error"' in body
    assert counts() == before
