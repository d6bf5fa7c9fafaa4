from django.apps import AppConfig


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = "Portfolios"

    def ready(self) -> None:
        from advisory.retention.holds import register_held_objects

        from .held_records import held_proposals

        register_held_objects(held_proposals)
