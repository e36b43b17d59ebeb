"""The merchant-lookup API stand-in: fuzzy search over the catalog, with latency and faults."""
