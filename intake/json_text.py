"""JSON text for the database's JSON columns (explanations, headers, audit details).

orjson writes them in a tenth of the time json.dumps takes; every message writes
several, on the one process that records the whole backlog. What orjson refuses (a
lone surrogate, an integer beyond 64 bits) is written by json as before; dates and
dataclasses go to `default`, as with json.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_OPTIONS = (orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """Compact JSON, non-ASCII kept as it is (UTF-8 in the database)."""
    try:
        return orjson.dumps(value, default=default, option=_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(value, default=default, ensure_ascii=False)
