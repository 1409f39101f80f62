"""Times in the desk: the stored UTC stamps shown in the configured zone (`web.timezone`),
to the minute, never with microseconds. One Jinja filter, `localtime`, used by every page."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import jinja2

FORMATS = {"minute": "%Y-%m-%d %H:%M", "second": "%Y-%m-%d %H:%M:%S", "date": "%Y-%m-%d"}


def parse_stamp(value: str) -> datetime | None:
    """A stored stamp (2026-11-26T01:02:03.456789Z, or without fraction or zone) as an
    aware datetime; naive stamps are UTC, as the store writes them. None if unreadable."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def local_time(value: str | None, zone: ZoneInfo, precision: str = "minute") -> str:
    """`value` in `zone` ("2026-11-26 02:02"); "" for none, and text that is no stamp as
    it is (a person must still see it)."""
    if not value:
        return ""
    moment = parse_stamp(str(value))
    if moment is None:
        return str(value)
    return moment.astimezone(zone).strftime(FORMATS[precision])


def install(jinja_env: jinja2.Environment, zone_name: str) -> None:
    """Register `localtime` for the app's templates: {{ r.received_at | localtime }},
    {{ e.at | localtime("second") }}, {{ g.started_at | localtime("date") }}."""
    zone = ZoneInfo(zone_name)
    jinja_env.filters["localtime"] = lambda value, precision="minute": local_time(value, zone, precision)
