from django.urls import path

from .views import disclosures

urlpatterns = [
    path("disclosures/", disclosures.disclosure_list, name="disclosures"),
    path("disclosures/new/", disclosures.disclosure_create, name="disclosure_create"),
    path(
        "disclosures/<int:disclosure_id>/",
        disclosures.disclosure_detail,
        name="disclosure_detail",
    ),
    path(
        "disclosures/<int:disclosure_id>/edit/",
        disclosures.disclosure_edit,
        name="disclosure_edit",
    ),
    path(
        "disclosures/versions/<int:version_id>/approve/",
        disclosures.disclosure_approve,
        name="disclosure_approve",
    ),
]
