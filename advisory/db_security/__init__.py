"""The database's own walls on PostgreSQL: two roles and row-level security.

- :mod:`.row_security` turns on ``ENABLE``/``FORCE ROW LEVEL SECURITY`` and one policy on every
  firm-owned table (generated from :func:`advisory.tenancy.firm_owned_models`, so a new
  firm-owned model is covered by the next ``migrate``).
- :mod:`.firm_setting` tells PostgreSQL, per transaction, which firm the code is scoped to
  (``set_config('ballast.firm_id', …, true)``), mirroring the ORM's firm scope.
- :mod:`.roles` creates the owner and application roles and grants the application role
  what it needs and no more; :mod:`.checks` says what is wrong with the connected role.

SQLite (the embedded demo) has none of this: there the ORM's scoped managers are the only
wall. See docs/deploy.md, "Database roles".
"""
