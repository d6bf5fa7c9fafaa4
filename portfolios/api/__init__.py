"""The portfolio resources of the REST API (/api/v1/): reference data, books, proposals."""
