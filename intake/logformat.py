"""Logging set-up shared by run_service.py and `intake`: plain text, or one JSON object
per line (`--log-format json`) for journald, Loki or any collector that reads JSON.

What is logged is the same in both formats: events, counts, addresses and errors,
never a message body (bodies stay in the database; the audit trail says what happened).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One line, one object: time (UTC, ISO 8601), level, logger, message, and the
    traceback as `exc_info` text when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup(level: int, log_format: str = "text") -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=level, handlers=[handler])  # a no-op where logging is set up (tests)
    logging.getLogger("mailparser").setLevel(logging.CRITICAL)
