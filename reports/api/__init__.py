"""The reports resources of the REST API (/api/v1/reports/)."""
