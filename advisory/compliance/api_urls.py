"""The compliance resource of the API (``/api/v1/audit-events/``), included by
config/api_urls.py."""

from rest_framework.routers import SimpleRouter

from .api import AuditEventViewSet

router = SimpleRouter()
router.register("audit-events", AuditEventViewSet, basename="api-audit-event")

urlpatterns = router.urls
