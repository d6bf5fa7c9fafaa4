from django.urls import path

from .views import runs

urlpatterns = [
    path("drift/runs/", runs.run_list, name="drift_runs"),
    path("drift/runs/<int:run_id>/", runs.run_detail, name="drift_run_detail"),
    path("drift/runs/<int:run_id>/progress/", runs.run_progress, name="drift_run_progress"),
]
