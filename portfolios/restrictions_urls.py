"""URLs of the restriction pages (included from portfolios.urls)."""

from django.urls import path

from portfolios.views import restrictions

urlpatterns = [
    path("restrictions/", restrictions.restriction_list, name="restrictions"),
    path(
        "restrictions/households/<int:household_id>/",
        restrictions.household_restrictions,
        name="household_restrictions",
    ),
    path("restrictions/<int:restriction_id>/lift/", restrictions.lift, name="restriction_lift"),
]
