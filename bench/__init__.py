"""`tally bench`: the benchmarks of issue 8, each against a baseline measured in the same run."""
