from django.apps import AppConfig


class AdvisoryConfig(AppConfig):
    name = "advisory"
    verbose_name = "Advisory"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login/logout audit receivers)
