"""The merchant-lookup API as Tally uses it: the HTTP client with its caches, breaker and
deadline (`lookup.py`). It feeds the `merchant_api` layer of the classifier; the pure layers
stay in service/classification."""
