"""`POST /hook/transaction` on the ingest instance: verify, validate, publish, 202."""
