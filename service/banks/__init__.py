"""Tally as a client of its partner banks' APIs (the URLs and tokens of the `partners` table)."""
