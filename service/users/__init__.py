"""Users' use cases shared by the operator commands and the HTTP API: registration, account
linking (and, in the api instance, login and sessions)."""
