from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"

    def ready(self) -> None:
        from advisory.retention.holds import register_held_objects

        from .records.held import held_reports

        register_held_objects(held_reports)
