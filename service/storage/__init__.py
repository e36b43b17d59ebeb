"""Cassandra plumbing: the session (one per process, opened after fork) and migrations."""
