"""Forms of the disclosure pages; the workflow (:mod:`reports.disclosures`) validates again."""

from __future__ import annotations

from django import forms

from .disclosures import MAX_KEY_LENGTH, MAX_TITLE_LENGTH


class DisclosureCreateForm(forms.Form):
    key = forms.SlugField(
        max_length=MAX_KEY_LENGTH,
        help_text="Lower-case words joined by hyphens; reports name the disclosures they "
        "require by it (not-advice, methodology, asset-class-risks, past-performance).",
    )
    title = forms.CharField(max_length=MAX_TITLE_LENGTH)


class DisclosureTextForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Saving proposes a new version; a compliance officer who did not write it "
        "approves it before reports use it.",
    )


class ApproveForm(forms.Form):
    confirm = forms.BooleanField(
        label="I have read this version and approve it for client reports.",
        error_messages={"required": "Tick the box to confirm the approval."},
    )
