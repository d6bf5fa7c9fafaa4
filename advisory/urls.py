from django.urls import path

from .views import compliance, firm, home, households

urlpatterns = [
    path("", home.home, name="home"),
    path("portal/", households.portal, name="portal"),
    path("households/<int:household_id>/", households.household_detail, name="household_detail"),
    path("households/<int:household_id>/edit/", households.household_edit, name="household_edit"),
    path("accounts/<int:account_id>/", households.account_detail, name="account_detail"),
    path("accounts/<int:account_id>/edit/", households.account_edit, name="account_edit"),
    path("compliance/", home.compliance_home, name="compliance_home"),
    path("compliance/audit/", compliance.audit_log, name="audit_log"),
    path("compliance/audit/verify/", compliance.audit_verify, name="audit_verify"),
    path("firm/settings/", firm.firm_settings, name="firm_settings"),
]
