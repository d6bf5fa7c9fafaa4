from django.urls import path

from .views import imports, runs

urlpatterns = [
    path("drift/runs/", runs.run_list, name="drift_runs"),
    path("drift/runs/<int:run_id>/", runs.run_detail, name="drift_run_detail"),
    path("drift/runs/<int:run_id>/progress/", runs.run_progress, name="drift_run_progress"),
    path("imports/", imports.imports_page, name="imports"),
    path("imports/positions/", imports.upload_positions, name="imports_positions"),
    path("imports/manual-price/", imports.manual_price, name="imports_manual_price"),
    path("imports/prices/", imports.upload_shared_prices, name="imports_prices"),
]
