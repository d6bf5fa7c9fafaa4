"""Operations: /healthz, /readyz, /metrics, Celery task metrics and structured logs
(docs/operations-health.md)."""
