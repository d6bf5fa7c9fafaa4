"""The portfolio resources under /api/v1/ (included by config/api_urls.py)."""

from rest_framework.routers import SimpleRouter

from portfolios.api.books import DriftSnapshotViewSet, ModelPortfolioViewSet, PositionViewSet
from portfolios.api.proposals import ProposalViewSet
from portfolios.api.reference import PriceViewSet, SecurityViewSet
from portfolios.api.restrictions import RestrictionViewSet

router = SimpleRouter()
router.register("securities", SecurityViewSet, basename="api-security")
router.register("prices", PriceViewSet, basename="api-price")
router.register("positions", PositionViewSet, basename="api-position")
router.register("models", ModelPortfolioViewSet, basename="api-model")
router.register("drift-snapshots", DriftSnapshotViewSet, basename="api-drift-snapshot")
router.register("proposals", ProposalViewSet, basename="api-proposal")
router.register("restrictions", RestrictionViewSet, basename="api-restriction")

urlpatterns = router.urls
