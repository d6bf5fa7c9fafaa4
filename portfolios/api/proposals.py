"""Proposals: create in any engine mode, read with trades and structured notes, and every
workflow step as a POST action, through :mod:`portfolios.proposals.workflow` as the pages.

Every step takes the ``version`` the caller last read (a 409 when someone changed the
proposal meanwhile) and leaves the same audit events as the page's button.

Step-up (advisory/mfa/stepup.py): approving (unless the firm lets the author approve it
alone) and exporting the order file need a second factor entered in the last few minutes.
A browser session that stepped up may do them through the API as on the page. **A token
never can**: it cannot prove a fresh second factor, and a leaked token must not be able to
release trades, so those two calls with a token are refused (403) whatever its scope.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from advisory import audit_actions as actions
from advisory.access import get_account_for, get_household_for, households_for
from advisory.api.base import FirmViewSet
from advisory.api.errors import Conflict
from advisory.api.idempotency import IdempotentCreateMixin
from advisory.api.pagination import CursorPage
from advisory.audit import record
from advisory.mfa.stepup import is_stepped_up
from advisory.models import ADVISING_ROLES
from portfolios.api import params
from portfolios.api.serializers import (
    DecideSerializer,
    ExecutionSerializer,
    ExecutionUploadSerializer,
    ExportSerializer,
    ProposalCreateSerializer,
    ProposalDetailSerializer,
    ProposalSerializer,
    VersionSerializer,
)
from portfolios.executions.apply import ExecutionRefused, record_execution
from portfolios.executions.parse import MAX_EXECUTION_BYTES, ExecutionFileError, parse_file
from portfolios.models import ExecutionSource, Proposal, ProposalState, ProposedTrade
from portfolios.proposals import workflow
from portfolios.proposals.core import open_proposals
from portfolios.proposals.order_files import export_order_file
from portfolios.rebalance.types import Options
from portfolios.valuation import pricing_date

REFUSED_FOR_BEARER = (
    "This step needs a second factor entered in the browser in the last few minutes; an API "
    "token cannot provide one. Do it on the proposal page, or through the API with a browser "
    "session that stepped up."
)
STEPUP_SESSION = (
    "This step needs a fresh second factor: enter a code from your authenticator app "
    "(/accounts/reauthenticate/) and try again."
)

PROPOSAL_EXAMPLE = {
    "id": 31, "household": 4, "account": None, "scope": "household", "mode": "to_band",
    "state": "draft", "version": 1, "as_of": "2026-10-30", "author": "advisor@firm.example",
    "total_value": "125000.00", "trade_value": "9120.00",
    "created_at": "2026-10-31T09:00:00Z", "updated_at": "2026-10-31T09:00:00Z",
}  # fmt: skip
DETAIL_EXAMPLE = {
    **PROPOSAL_EXAMPLE,
    "options": {"mode": "to_band", "as_of": "2026-10-30"}, "model_version": 3,
    "realized_short_term": "0.00", "realized_long_term": "412.00",
    "cash_after": {"12": "310.00"}, "comment": "", "submitted_by": None, "submitted_at": None,
    "approved_by": None, "rejected_by": None, "decided_at": None, "exported_at": None,
    "executed_at": None, "order_file_sha256": "",
    "notes": [{"rule": 3, "subject": "VOO", "effect": "wash_sale_blocked", "drift_left": "+1.2",
               "text": "VOO not sold: a buy 12 days ago would make the loss a wash sale."}],
    "trades": [{"id": 80, "account": 12, "security": 3, "symbol": "VOO", "side": "sell",
                "quantity": "2", "price": "512.340000", "value": "1024.68",
                "reason": "US large cap above its band", "edited": False,
                "lots": [{"lot_id": 7, "quantity": "2", "cost_basis": "800.00",
                          "gain": "224.68", "term": "long"}]}],
}  # fmt: skip
VERSION_EXAMPLE = OpenApiExample("The version you read", value={"version": 2}, request_only=True)
DETAIL_RESPONSE = OpenApiExample("The proposal after the step", value=DETAIL_EXAMPLE,
                                 response_only=True)  # fmt: skip
CONFLICT = OpenApiResponse(description="Someone changed the proposal (reload it), or the step "
                           "does not apply in its state.")  # fmt: skip


def _step_schema(summary: str, description: str, request: Any = VersionSerializer) -> Any:
    return extend_schema(
        summary=summary, description=description, request=request,
        responses={200: ProposalDetailSerializer, 409: CONFLICT},
        examples=[VERSION_EXAMPLE, DETAIL_RESPONSE],
    )  # fmt: skip


class ProposalCreator:
    """The create step behind ``IdempotentCreateMixin`` (which calls it once per key)."""

    request: Request

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        form = ProposalCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        membership = request.membership
        account = None
        if data.get("account"):
            account = get_account_for(membership, data["account"])
            if account.held_away:
                raise ValidationError({"account": ["A held-away account is never traded."]})
            household = account.household
        else:
            household = get_household_for(membership, data["household"])
        as_of = pricing_date(firm_id=request.firm.pk)
        if as_of is None:
            raise ValidationError("There are no prices yet, so nothing can be proposed.")
        already = list(open_proposals(household.pk, getattr(account, "pk", None)))
        if already and not data["another"]:
            listed = ", ".join(f"#{p.pk} ({p.state})" for p in already)
            raise Conflict(
                f"{household.name} already has open proposals: {listed}. Carry on with one, "
                "cancel them, or send another=true."
            )
        options = Options(
            mode=data["mode"], as_of=as_of,
            raise_amount=data.get("raise_amount") or 0,
            cash_reserve_pct=data.get("cash_reserve_pct") or 0,
            min_trade_value=data.get("min_trade_value") or 0,
        )  # fmt: skip
        with transaction.atomic():
            proposal = workflow.create_proposal(
                firm=request.firm, household=household, account=account, options=options,
                author=request.user,
            )  # fmt: skip
            if already:
                record(
                    firm=request.firm, action=actions.PROPOSAL_OPEN_OVERRIDDEN.code,
                    obj=proposal, changes={"open_proposal_ids": [p.pk for p in already]},
                )  # fmt: skip
        saved = self.get_queryset().get(pk=proposal.pk)  # type: ignore[attr-defined]
        body = ProposalDetailSerializer(saved).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="List proposals",
        description="Proposals of the households you may see, newest first (no trades).",
        parameters=[
            params.id_filter("household", "this household's proposals"),
            params.id_filter("account", "this account's proposals"),
            params.choice_filter("state", list(ProposalState.values), "Only this state."),
        ],
        examples=[OpenApiExample("A proposal", value=PROPOSAL_EXAMPLE, response_only=True)],
    ),
    retrieve=extend_schema(
        summary="Get a proposal with its trades and notes",
        description="Audited as `proposal.viewed`, as the proposal page.",
        examples=[DETAIL_RESPONSE],
    ),
)
class ProposalViewSet(
    IdempotentCreateMixin,
    ProposalCreator,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    FirmViewSet,
):
    pagination_class = CursorPage
    lookup_value_regex = params.ID_PATTERN
    filter_backends = [OrderingFilter]
    ordering_fields = ["created_at", "id"]
    ordering = ("-id",)
    write_roles = ADVISING_ROLES
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_serializer_class(self) -> Any:
        return ProposalSerializer if self.action == "list" else ProposalDetailSerializer

    def get_queryset(self) -> QuerySet[Proposal]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator: no caller
            return Proposal.objects.none()
        qs = Proposal.objects.filter(
            household__in=households_for(self.request.membership)
        ).select_related("author")
        if self.action == "list":
            for name in ("household", "account"):
                if (value := params.int_param(self.request, name)) is not None:
                    qs = qs.filter(**{f"{name}_id": value})
            state = params.choice_param(self.request, "state", list(ProposalState.values))
            return qs.filter(state=state) if state else qs
        trades = ProposedTrade.objects.select_related("security").order_by("position", "pk")
        return qs.select_related("submitted_by", "approved_by", "rejected_by").prefetch_related(
            Prefetch("trades", queryset=trades)
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        rows = response.data.get("results", [])
        record(  # as the proposal list page: who saw which proposals
            firm=request.firm, action=actions.PROPOSALS_LISTED.code, object_repr="Proposal list",
            changes={"proposal_ids": [r["id"] for r in rows],
                     "household_ids": sorted({r["household"] for r in rows})},
        )  # fmt: skip
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        proposal = self.get_object()
        record(firm=request.firm, action=actions.PROPOSAL_VIEWED.code, obj=proposal)
        return Response(ProposalDetailSerializer(proposal).data)

    @extend_schema(
        summary="Propose trades (any engine mode)",
        description=(
            "Runs the rebalancing engine for a household or one of its accounts and stores a "
            "draft, as the Propose button. A household (or account) with open proposals is "
            "refused (409) unless `another` is true, which is audited as "
            "`proposal.open_overridden`. Send an `Idempotency-Key` header to retry safely."
        ),
        request=ProposalCreateSerializer,
        responses={201: ProposalDetailSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample("Back inside the bands", value={"household": 4, "mode": "to_band"},
                           request_only=True),
            OpenApiExample("Raise cash in one account",
                           value={"account": 12, "mode": "raise_cash", "raise_amount": "5000.00"},
                           request_only=True),
            OpenApiExample("The draft", value=DETAIL_EXAMPLE, response_only=True,
                           status_codes=["201"]),
        ],
    )  # fmt: skip
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().create(request, *args, **kwargs)  # through IdempotentCreateMixin

    # --- Workflow steps ------------------------------------------------------------------

    def _step(
        self, request: Request, form_class: type, run: Callable[[Proposal, dict], Any]
    ) -> Response:
        proposal = self.get_object()
        form = form_class(data=request.data)
        form.is_valid(raise_exception=True)
        run(proposal, form.validated_data)
        return Response(ProposalDetailSerializer(self.get_queryset().get(pk=proposal.pk)).data)

    def _require_stepup(self, request: Request) -> None:
        if request.api_token is not None:
            raise PermissionDenied(REFUSED_FOR_BEARER)
        if not is_stepped_up(request._request):
            raise PermissionDenied(STEPUP_SESSION)

    @_step_schema("Submit for approval", "Draft → submitted.")
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        return self._step(request, VersionSerializer, lambda p, d: workflow.submit(
            proposal=p, actor=request.user, expected_version=d["version"]))  # fmt: skip

    @_step_schema(
        "Approve",
        "Submitted → approved. Four eyes: above the firm's self-approval threshold, someone "
        "who did not create, refresh or edit it must approve (403, audited as "
        "`proposal.refused`). Needs a fresh second factor unless the author could approve it "
        "alone: a browser session that stepped up; never a token (403).",
        DecideSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str) -> Response:
        proposal = self.get_object()
        if not workflow.self_approval_allowed(proposal):
            self._require_stepup(request)
        return self._step(request, DecideSerializer, lambda p, d: workflow.approve(
            proposal=p, approver=request.user, expected_version=d["version"],
            comment=d["comment"]))  # fmt: skip

    @_step_schema("Reject", "Submitted → rejected, with a comment.", DecideSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str) -> Response:
        return self._step(request, DecideSerializer, lambda p, d: workflow.reject(
            proposal=p, actor=request.user, expected_version=d["version"],
            comment=d["comment"]))  # fmt: skip

    @_step_schema("Cancel", "Draft, submitted, approved or exported → cancelled.", DecideSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        return self._step(request, DecideSerializer, lambda p, d: workflow.cancel(
            proposal=p, actor=request.user, expected_version=d["version"],
            comment=d["comment"]))  # fmt: skip

    @_step_schema("Refresh", "Rebuild a draft or submitted proposal from current data (→ draft).")
    @action(detail=True, methods=["post"])
    def refresh(self, request: Request, pk: str) -> Response:
        return self._step(request, VersionSerializer, lambda p, d: workflow.refresh(
            proposal=p, actor=request.user, expected_version=d["version"]))  # fmt: skip

    @extend_schema(
        summary="Export the order file",
        description=(
            "Approved → exported; the answer is the order file itself (CSV, the custodian's "
            "layout). Needs a fresh second factor: a browser session that stepped up; never a "
            "token (403). The file's SHA-256 is stored on the proposal and audited."
        ),
        request=ExportSerializer,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="The order file."),
            409: CONFLICT,
        },
        examples=[OpenApiExample("Schwab layout", value={"version": 3, "custodian": "schwab"},
                                 request_only=True)],
    )  # fmt: skip
    @action(detail=True, methods=["post"])
    def export(self, request: Request, pk: str) -> HttpResponse:
        proposal = self.get_object()
        self._require_stepup(request)
        form = ExportSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        filename, content = export_order_file(
            proposal=proposal, custodian_format=form.validated_data["custodian"],
            actor=request.user, expected_version=form.validated_data["version"],
        )  # fmt: skip
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Record the execution from the custodian's file",
        description=(
            "Exported → executed: applies the fills of an execution file (multipart field "
            "`file`: account_number, symbol, side, quantity, price, trade_date[, fill_id]"
            "[, net_amount]) to lots and cash in one transaction, as the page's confirm step. "
            "Any bad or unmatched line refuses the whole file (400, every line named)."
        ),
        request={"multipart/form-data": ExecutionUploadSerializer},
        responses={201: ExecutionSerializer, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Recorded",
                value={"id": 5, "proposal": 31, "source": "file", "file_name": "fills.csv",
                       "file_sha256": "9f86d0…", "summary": {"counts": {"fills": 2}},
                       "created_at": "2026-11-02T15:00:00Z"},
                response_only=True, status_codes=["201"],
            ),
        ],
    )  # fmt: skip
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def executions(self, request: Request, pk: str) -> Response:
        proposal = self.get_object()
        form = ExecutionUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        if upload.size > MAX_EXECUTION_BYTES:
            limit = MAX_EXECUTION_BYTES // 1024
            raise ValidationError({"file": [f"An execution file may be at most {limit} KB."]})
        content = upload.read()
        try:
            execution = record_execution(
                proposal=proposal, actor=request.user,
                expected_version=form.validated_data["version"], rows=parse_file(content),
                source=ExecutionSource.FILE, file_name=upload.name[:255], content=content,
            )  # fmt: skip
        except (ExecutionFileError, ExecutionRefused) as exc:
            raise ValidationError({"file": [str(e) for e in exc.errors[:100]]}) from exc
        return Response(ExecutionSerializer(execution).data, status=status.HTTP_201_CREATED)
