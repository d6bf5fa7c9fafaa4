"""Model portfolio pages (portfolios.views.models), included from portfolios.urls."""

from django.urls import path

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
    path("models/<int:model_id>/retire/", models.model_retire, name="model_retire"),
    path("models/<int:model_id>/unretire/", models.model_unretire, name="model_unretire"),
]
