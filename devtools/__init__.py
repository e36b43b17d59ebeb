"""Tooling for local runs, tests and benchmarks: starting Tally's own processes (gunicorn
instances, consumers, workers) and the simulators with a given Settings, on free ports.
Never imported by the service itself."""
