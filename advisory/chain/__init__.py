"""The audit chain's integrity: keys, anchors outside the database, and verification."""
