"""Cursor pagination: stable under inserts, no COUNT(*) and a constant number of queries.

Ordered by ``-pk`` by default (unique and indexed); a view with another ``ordering`` keeps
``pk`` as the tie-breaker so a cursor never skips or repeats a row.
"""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"
    cursor_query_param = "cursor"
