"""Kept for tests written before tests/support: the servers now live in support/servers.py."""

from support.servers import *  # noqa: F403
from support.servers import __all__  # noqa: F401
