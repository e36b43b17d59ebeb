"""A user's transaction history as the apps read it: time windows in the user's zone, the
signed list cursor, the merged rows (category overrides), recategorisation and summaries."""
