"""Import a custodian execution (confirmation) file: mark an exported proposal executed.

See docs/executions.md. Without ``--proposal`` the firm must have exactly one exported
proposal whose accounts the file names. Nothing is written unless every row is good.
"""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from advisory.models import Account, Firm, User
from advisory.request_context import acting_as
from advisory.tenancy import firm_scope
from portfolios.executions.apply import ExecutionRefused, record_execution
from portfolios.executions.parse import ExecutionFileError, FillRow, parse_file
from portfolios.models import Proposal, ProposalState
from portfolios.proposals.workflow import ProposalError


class Command(BaseCommand):
    help = (
        "Record the execution of an exported proposal from the custodian's file "
        "(account_number, symbol, side, quantity, price, trade_date[, fill_id][, net_amount])."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", help="The CSV file (.csv or .txt, at most 1 MB).")
        parser.add_argument("--firm", required=True, metavar="SLUG", help="The firm.")
        parser.add_argument(
            "--proposal", type=int, metavar="ID", help="The exported proposal it executes."
        )
        parser.add_argument(
            "--user", metavar="EMAIL", help="Record it as this advisor or admin (default: the "
            "command itself, named in the audit trail).",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        firm = Firm.objects.filter(slug=options["firm"]).first()
        if firm is None:
            raise CommandError(f"No firm with slug {options['firm']!r}.")
        try:
            rows = parse_file(options["file"])
        except ExecutionFileError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(exc.errors)} error(s); nothing written.") from exc
        with open(options["file"], "rb") as f:
            content = f.read()
        actor = None
        if options["user"]:
            actor = User.objects.filter(email__iexact=options["user"]).first()
            if actor is None:
                raise CommandError(f"No user {options['user']!r}.")
        with firm_scope(firm):
            proposal = self._proposal(options["proposal"], rows)
            try:
                with acting_as(actor_label="import_executions command", role="system"):
                    execution = record_execution(
                        proposal=proposal, actor=actor, expected_version=proposal.version,
                        rows=rows, file_name=os.path.basename(options["file"]), content=content,
                    )  # fmt: skip
            except ExecutionRefused as exc:
                for error in exc.errors:
                    self.stderr.write(str(error))
                raise CommandError(f"{len(exc.errors)} error(s); nothing written.") from exc
            except (ProposalError, PermissionDenied) as exc:
                raise CommandError(f"{exc} Nothing written.") from exc
        counts = execution.summary["counts"]
        self.stdout.write(
            f"Proposal #{proposal.pk} executed (execution #{execution.pk}): {counts['fills']} "
            f"fills; {counts['filled']} trades filled, {counts['partial']} partial, "
            f"{counts['not_done']} not done, {counts['over']} over-filled; "
            f"{counts['unmatched']} unmatched fills."
        )

    def _proposal(self, proposal_id: int | None, rows: list[FillRow]) -> Proposal:
        if proposal_id is not None:
            proposal = Proposal.objects.filter(pk=proposal_id).first()
            if proposal is None:
                raise CommandError(f"No proposal #{proposal_id} in this firm.")
            return proposal
        numbers = {r.account_number for r in rows}
        households = set(
            Account.objects.filter(account_number__in=numbers).values_list(
                "household_id", flat=True
            )
        )
        candidates = list(
            Proposal.objects.filter(state=ProposalState.EXPORTED, household__in=households)
        )
        if len(candidates) != 1:
            found = ", ".join(f"#{p.pk}" for p in candidates) or "none"
            raise CommandError(
                f"Name the proposal with --proposal: exported proposals for these accounts: "
                f"{found}."
            )
        return candidates[0]
