"""Queue consumers: batched, idempotent writes from RabbitMQ to Cassandra (docs/design.md,
"Processes" and "A transaction's life")."""
