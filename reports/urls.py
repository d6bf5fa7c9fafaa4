from django.urls import path

from .views import batches, disclosures, records, reports

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
    path(
        "households/<int:household_id>/reports/generate/",
        reports.report_generate,
        name="report_generate",
    ),
    path("reports/batches/", batches.report_batch_list, name="report_batches"),
    path(
        "reports/batches/<int:report_batch_id>/",
        batches.report_batch_detail,
        name="report_batch_detail",
    ),
    path(
        "reports/batches/<int:report_batch_id>/progress/",
        batches.report_batch_progress,
        name="report_batch_progress",
    ),
    path("reports/<int:report_id>/release/", reports.report_release, name="report_release"),
    path("reports/<int:report_id>/download/", reports.report_download, name="report_download"),
    path("compliance/records/", records.records_exports, name="records_exports"),
    path(
        "compliance/records/<int:export_id>/state/",
        records.records_export_state,
        name="records_export_state",
    ),
    path(
        "compliance/records/<int:export_id>/download/",
        records.records_export_download,
        name="records_export_download",
    ),
]
