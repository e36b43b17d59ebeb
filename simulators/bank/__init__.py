"""The partner-bank stand-in: a ledger, a signed webhook sender, and the partner API."""
