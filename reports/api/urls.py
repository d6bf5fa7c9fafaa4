"""The reports resources under /api/v1/ (included by config/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from reports.api.views import ArchivedReportViewSet

router = SimpleRouter()
router.register("reports", ArchivedReportViewSet, basename="api-report")

urlpatterns = router.urls
