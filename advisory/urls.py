from django.urls import include, path

from .portal import views as portal
from .views import api_tokens, audit_verify, compliance, firm, home, households

urlpatterns = [
    path("", home.home, name="home"),
    path("portal/", portal.portal, name="portal"),
    path("portal/accounts/<int:account_id>/", portal.portal_account, name="portal_account"),
    path("portal/documents/", portal.portal_documents, name="portal_documents"),
    path(
        "portal/documents/<int:report_id>/",
        portal.portal_document_download,
        name="portal_document_download",
    ),
    path("households/<int:household_id>/", households.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", households.household_edit, name="household_edit"),
    path("accounts/<int:account_id>/", households.account_detail, name="account_detail"),
    path("accounts/<int:account_id>/edit/", households.account_edit, name="account_edit"),
    path("compliance/", home.compliance_home, name="compliance_home"),
    path("compliance/audit/", compliance.audit_log, name="audit_log"),
    path("compliance/audit/verify/", audit_verify.audit_verify, name="audit_verify"),
    path(
        "compliance/audit/verify/<int:verification_id>/",
        audit_verify.audit_verify_progress,
        name="audit_verify_progress",
    ),
    path("compliance/", include("advisory.compliance.urls")),
    path("firm/settings/", firm.firm_settings, name="firm_settings"),
    path("compliance/holds/", include("advisory.views.holds_urls")),
    path("", include("advisory.views.people_urls")),  # firms and people (issue 12)
    # Issue 13: a staff member's own API tokens (beside the other account security pages).
    path("auth/api-tokens/", api_tokens.api_tokens, name="account_api_tokens"),
    path("auth/api-tokens/new/", api_tokens.api_token_create, name="account_api_token_create"),
    path(
        "auth/api-tokens/<int:token_id>/revoke/",
        api_tokens.api_token_revoke,
        name="account_api_token_revoke",
    ),
    path("", include("advisory.views.webhooks_urls")),  # signed webhooks (issue 13)
]
