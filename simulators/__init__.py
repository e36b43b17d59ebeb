"""Stand-ins for the third parties (a partner bank, the merchant-lookup API): real HTTP
servers for local runs, tests and benchmarks. Tally's core never imports this package."""
