"""Model portfolio pages (portfolios.views.models), included from portfolios.urls."""

from django.urls import path

from portfolios.views import model_previews as previews
from portfolios.views import models

urlpatterns = [
    path("models/", models.model_list, name="models"),
    path("models/new/", models.model_create, name="model_create"),
    path("models/<int:model_id>/", models.model_detail, name="model_detail"),
    path("models/<int:model_id>/edit/", models.model_edit, name="model_edit"),
    path("models/<int:model_id>/draft/live/", models.model_draft_live, name="model_draft_live"),
    path(
        "models/<int:model_id>/draft/discard/",
        models.model_draft_discard,
        name="model_draft_discard",
    ),
    path(
        "models/<int:model_id>/draft/preview/", previews.preview_start, name="model_preview_start"
    ),
    path("models/previews/<int:preview_id>/", previews.preview_detail, name="model_preview"),
    path(
        "models/previews/<int:preview_id>/progress/",
        previews.preview_progress,
        name="model_preview_progress",
    ),
    path(
        "models/previews/<int:preview_id>/households/<int:household_id>/",
        previews.preview_household,
        name="model_preview_household",
    ),
    path(
        "models/previews/<int:preview_id>/export.csv",
        previews.preview_export,
        name="model_preview_export",
    ),
    path(
        "models/previews/<int:preview_id>/commit/",
        previews.preview_commit,
        name="model_preview_commit",
    ),
    path(
        "models/previews/<int:preview_id>/drafts/",
        previews.preview_drafts,
        name="model_preview_drafts",
    ),
    path("models/<int:model_id>/retire/", models.model_retire, name="model_retire"),
    path("models/<int:model_id>/unretire/", models.model_unretire, name="model_unretire"),
]
