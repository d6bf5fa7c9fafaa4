"""Firms and people: the people page, the invitation link and the operator's firms page.
Included from advisory/urls.py; kept under ``advisory.views`` so the architecture test counts
it as a page module."""

from django.urls import path

from . import operator, people

urlpatterns = [
    path("firm/people/", people.people, name="people"),
    path("firm/people/invite/", people.people_invite, name="people_invite"),
    path("firm/people/<int:membership_id>/role/", people.people_role, name="people_role"),
    path(
        "firm/people/<int:membership_id>/deactivate/",
        people.people_deactivate,
        name="people_deactivate",
    ),
    path(
        "firm/people/<int:membership_id>/reactivate/",
        people.people_reactivate,
        name="people_reactivate",
    ),
    path(
        "firm/people/invitations/<int:invitation_id>/resend/",
        people.invitation_resend,
        name="invitation_resend",
    ),
    path(
        "firm/people/invitations/<int:invitation_id>/revoke/",
        people.invitation_revoke,
        name="invitation_revoke",
    ),
    path("join/<slug:firm_slug>/<str:token>/", people.invitation_accept, name="invitation_accept"),
    path("operator/firms/", operator.operator_firms, name="operator_firms"),
]
