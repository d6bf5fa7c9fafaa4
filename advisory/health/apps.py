from django.apps import AppConfig


class HealthConfig(AppConfig):
    """Installed so that web processes and Celery workers alike time their tasks."""

    name = "advisory.health"
    label = "ballast_health"
    verbose_name = "Health and metrics"

    def ready(self) -> None:
        from . import task_metrics

        task_metrics.connect()
