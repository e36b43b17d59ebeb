"""HTTP plumbing shared by both gunicorn instances: JSON errors, request ids and logs, health."""
