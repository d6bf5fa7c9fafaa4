"""Retention of books and records: how long they are kept (:mod:`.cutoff`), legal holds
(:mod:`.holds`), the audit chain's retained-from boundary (:mod:`.boundary`) and the one
place that disposes of anything (:mod:`.disposal`)."""
