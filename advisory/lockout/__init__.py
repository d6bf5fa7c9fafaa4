"""Sign-in lockout that holds across workers: failures counted per account and per IP in
the shared cache, with bounded exponential backoff (docs/security.md).

:mod:`.counter` keeps the counts and locks; :mod:`.events` turns them into audit events;
the allauth adapter (advisory/auth_adapter.py) consults both on every sign-in.
"""
