"""The test stack: real processes started with the test settings (see devtools.processes).
Only the Cassandra and RabbitMQ servers are shared with `scripts/dev up`; everything else a
test needs it starts itself, with its own keyspace and vhost, and stops afterwards."""

from devtools.processes import (
    BIN,
    ROOT,
    AppProcess,
    free_port,
    running,
    settings_env,
    start_consumer,
    start_gunicorn,
    start_process,
    start_simulator,
    start_worker,
    wait_until,
)

__all__ = ["BIN", "ROOT", "AppProcess", "free_port", "running", "settings_env", "start_consumer", "start_gunicorn",
           "start_process", "start_simulator", "start_worker", "wait_until"]
