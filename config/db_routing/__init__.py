"""Database routing for issue 15: transaction pooling (pgbouncer) and a read replica.

``lag.replica_lag_seconds`` measures a standby's replay lag; ``router`` sends reads marked
read-only to the ``replica`` alias when it is configured and not too far behind.
"""
