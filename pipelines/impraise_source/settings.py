"""The source's defaults: the API's address, its quota and how pages are read.

What the source knows of the buckets themselves, their fields and types, is in
schema.py; how each setting is checked, in config.py.
"""

from __future__ import annotations

from typing import Any

# One record as the API serves it (camelCase fields, nested lists as lists).
Record = dict[str, Any]

DEFAULT_BASE_URL = "https://analytics-api.impraise.com"
DEFAULT_REQUESTS_PER_SECOND = 6.0
# The API refuses maxItems above 1000; the largest page means the fewest requests.
MAX_ITEMS = 1000
# Pages requested ahead of the one being read, per bucket (1 reads strictly in sequence).
# A bucket read alone at 400 ms per request needs about 3 in flight for 6 requests/s, and
# guesses that prove pages far ahead (read_ahead.py) let it have up to this many.
DEFAULT_PREFETCH_PAGES = 6
# How far behind the moment a bucket's read began its saved cursor is kept: covers clock
# skew between this machine and the API, and commits that land late on the API's side.
DEFAULT_CURSOR_LAG_SECONDS = 300.0
