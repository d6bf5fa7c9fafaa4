"""Legal holds (compliance/holds/): included from advisory/urls.py. Kept under
``advisory.views`` so the architecture test counts it as a page module."""

from django.urls import path

from . import holds

urlpatterns = [
    path("", holds.legal_holds, name="legal_holds"),
    path("<int:hold_id>/release/", holds.legal_hold_release, name="legal_hold_release"),
]
