"""Tally's web app and the core shared by every process (settings, repositories, broker,
classification). Nothing here connects at import time: see service.bootstrap."""
