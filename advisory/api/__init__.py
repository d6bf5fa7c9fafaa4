"""The REST API (``/api/v1/``): the same tenancy scope, role rules and audit trail as the pages.

Core: token/session authentication (:mod:`.authentication`), the firm-scoped base views
(:mod:`.base`), cursor pagination, JSON errors, idempotent creates and throttles. The advisory
resources (firms, households, clients, accounts, audit events) live in :mod:`.views`.
"""
