"""The compliance workspace's routes, included by advisory/urls.py under "compliance/".
(``compliance/audit/`` itself, URL name ``audit_log``, stays in advisory/urls.py.)"""

from django.urls import path

from . import views

urlpatterns = [
    path("audit/export/", views.search_export, name="compliance_export"),
    path(
        "timeline/<str:object_type>/<int:object_id>/",
        views.object_timeline,
        name="compliance_timeline",
    ),
    path("who-saw-what/", views.who_saw_what, name="compliance_who_saw_what"),
    path("who-saw-what/export/", views.who_saw_what_csv, name="compliance_who_saw_what_csv"),
    path("review/", views.review, name="compliance_review"),
]
