"""Recording a proposal's execution (portfolios.views.executions); included by portfolios.urls."""

from django.urls import path

from portfolios.views import executions

urlpatterns = [
    path(
        "proposals/<int:proposal_id>/execution/",
        executions.execution_upload,
        name="execution_upload",
    ),
    path(
        "proposals/<int:proposal_id>/execution/manual/",
        executions.execution_manual,
        name="execution_manual",
    ),
    path(
        "proposals/<int:proposal_id>/execution/confirm/",
        executions.execution_confirm,
        name="execution_confirm",
    ),
    path("executions/<int:execution_id>/", executions.execution_detail, name="execution_detail"),
]
