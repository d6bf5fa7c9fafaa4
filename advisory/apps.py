from django.apps import AppConfig


class AdvisoryConfig(AppConfig):
    name = "advisory"
    verbose_name = "Advisory"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (system checks, login/logout audit receivers)
        from .db_security import hooks

        hooks.connect(self)  # the firm setting per transaction, row-level security on migrate
