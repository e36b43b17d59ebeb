"""Repairing gaps from the banks' synchronous APIs: `tally backfill` and `tally reconcile`."""
