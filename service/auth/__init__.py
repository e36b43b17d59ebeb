"""Logins and sessions of the app API: bearer tokens, password checks with equal timing,
and the fixed-window limits on failed logins (docs/api.md)."""
