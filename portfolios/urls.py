from django.urls import include, path

from portfolios.views import (
    batches,
    imports,
    mappings,
    position_imports,
    proposal_actions,
    proposal_trades,
    proposals,
    runs,
)

urlpatterns = [
    path("", include("portfolios.models_urls")),  # model portfolio pages
    path("", include("portfolios.restrictions_urls")),  # do-not-buy / do-not-sell lists
    path("", include("portfolios.executions_urls")),  # recording executions
    path("drift/runs/", runs.run_list, name="drift_runs"),
    path("drift/runs/<int:run_id>/", runs.run_detail, name="drift_run_detail"),
    path("drift/runs/<int:run_id>/progress/", runs.run_progress, name="drift_run_progress"),
    path("imports/", imports.imports_page, name="imports"),
    path("imports/positions/", imports.upload_positions, name="imports_positions"),
    path(
        "imports/positions/<int:import_id>/",
        position_imports.import_detail,
        name="position_import",
    ),
    path(
        "imports/positions/<int:import_id>/progress/",
        position_imports.import_progress,
        name="position_import_progress",
    ),
    path(
        "imports/positions/<int:import_id>/confirm/",
        position_imports.import_confirm,
        name="position_import_confirm",
    ),
    path(
        "imports/positions/<int:import_id>/cancel/",
        position_imports.import_cancel,
        name="position_import_cancel",
    ),
    path(
        "imports/positions/<int:import_id>/restore/",
        position_imports.import_restore,
        name="position_import_restore",
    ),
    path("imports/manual-price/", imports.manual_price, name="imports_manual_price"),
    path("imports/prices/", imports.upload_shared_prices, name="imports_prices"),
    # Issue 12, custodian files: saved column mappings.
    path("imports/mappings/", mappings.mapping_list, name="column_mappings"),
    path("imports/mappings/sample/", mappings.mapping_sample, name="column_mapping_sample"),
    path("imports/mappings/new/", mappings.mapping_create, name="column_mapping_create"),
    path("imports/mappings/<int:mapping_id>/", mappings.mapping_detail, name="column_mapping"),
    path("households/<int:household_id>/propose/", proposals.propose, name="proposal_create"),
    path(
        "accounts/<int:account_id>/propose/",
        proposals.propose_account,
        name="proposal_create_account",
    ),
    path("proposals/", proposals.proposal_list, name="proposals"),
    path("proposals/batches/", batches.batch_list, name="proposal_batches"),
    path("proposals/batches/<int:batch_id>/", batches.batch_detail, name="proposal_batch_detail"),
    path(
        "proposals/batches/<int:batch_id>/progress/",
        batches.batch_progress,
        name="proposal_batch_progress",
    ),
    path("proposals/<int:proposal_id>/", proposals.proposal_detail, name="proposal_detail"),
    path(
        "proposals/<int:proposal_id>/trades/add/",
        proposal_trades.trade_add,
        name="proposal_trade_add",
    ),
    path(
        "proposals/<int:proposal_id>/trades/<int:trade_id>/",
        proposal_trades.trade_edit,
        name="proposal_trade_edit",
    ),
    path(
        "proposals/<int:proposal_id>/trades/<int:trade_id>/remove/",
        proposal_trades.trade_remove,
        name="proposal_trade_remove",
    ),
    path(
        "proposals/<int:proposal_id>/submit/",
        proposal_actions.proposal_submit,
        name="proposal_submit",
    ),
    path(
        "proposals/<int:proposal_id>/approve/",
        proposal_actions.proposal_approve,
        name="proposal_approve",
    ),
    path(
        "proposals/<int:proposal_id>/reject/",
        proposal_actions.proposal_reject,
        name="proposal_reject",
    ),
    path(
        "proposals/<int:proposal_id>/cancel/",
        proposal_actions.proposal_cancel,
        name="proposal_cancel",
    ),
    path(
        "proposals/<int:proposal_id>/refresh/",
        proposal_actions.proposal_refresh,
        name="proposal_refresh",
    ),
    path(
        "proposals/<int:proposal_id>/export/",
        proposal_actions.proposal_export,
        name="proposal_export",
    ),
]
