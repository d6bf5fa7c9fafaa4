"""The compliance officer's workspace (issue 10): audit search, per-object timelines, who saw
what, review queues and exports. ``queries`` reads, ``exports`` streams, ``views`` and
``urls`` serve."""
