"""Proposals against model versions: which version a proposal is built on, and when the
model has moved on since (the proposal is then stale, like one whose prices changed).

A household-level proposal follows the household's model, an account-level one the
account's (the same choice :mod:`portfolios.proposals.inputs` makes). Proposals made
before versions were kept (``model_version`` empty) are judged by their fingerprint alone.
"""

from __future__ import annotations

from portfolios.models import ModelPortfolio, Proposal


def followed_model(proposal: Proposal) -> ModelPortfolio | None:
    """The model the proposal's household (or account) follows now."""
    if proposal.account_id is not None:
        return ModelPortfolio.objects.filter(accounts=proposal.account_id).first()
    return ModelPortfolio.objects.filter(households=proposal.household_id).first()


def followed_version(proposal: Proposal) -> int | None:
    """The live version number of the model the proposal follows (None: no model)."""
    model = followed_model(proposal)
    return model.version if model is not None else None


def model_staleness(proposal: Proposal) -> str | None:
    """Why the proposal is stale because of its model, or None when it is not."""
    if proposal.model_version is None:
        return None
    model = followed_model(proposal)
    if model is None or model.version == proposal.model_version:
        return None
    return (
        f"Built on version {proposal.model_version} of {model.name}; "
        f"the model is now at version {model.version}."
    )
