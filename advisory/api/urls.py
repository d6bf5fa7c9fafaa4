"""The advisory resources under ``/api/v1/`` (config/api_urls.py); the audit trail's is
advisory/compliance/api_urls.py."""

from rest_framework.routers import SimpleRouter

from .views import AccountViewSet, ClientViewSet, FirmsViewSet, HouseholdViewSet

router = SimpleRouter()
router.register("firms", FirmsViewSet, basename="api-firm")
router.register("households", HouseholdViewSet, basename="api-household")
router.register("clients", ClientViewSet, basename="api-client")
router.register("accounts", AccountViewSet, basename="api-account")

urlpatterns = router.urls
