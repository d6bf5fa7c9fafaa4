"""Books and records for an examination: a firm's records for a period written to a folder
with a manifest of SHA-256 hashes (:mod:`.export`), and the check that nothing in such a
folder changed since (:mod:`.verify`)."""
