"""Repositories in front of Cassandra: one module per table family; each owns its CQL and
prepared statements and returns plain dataclasses, never driver rows."""
