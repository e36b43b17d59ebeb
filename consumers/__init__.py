"""Queue consumers: batched, idempotent writes from RabbitMQ to Cassandra (DESIGN.md §2, §4)."""
