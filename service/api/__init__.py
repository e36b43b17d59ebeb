"""The API for the mobile and web apps (DESIGN.md §7), served by the `api` instance."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    """Registers every blueprint of the api instance."""
