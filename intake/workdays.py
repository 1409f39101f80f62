"""Working days (Monday to Friday) between two dates: how long a request has waited.

Why working days: the secretariat works Monday to Friday, so a request that came in on
Friday evening has not waited three days by Monday morning. Public holidays are not
counted out (they differ between the network's countries). Pure functions of dates, so
the desk, the overdue filter and the digest count the same way.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

SATURDAY = 5  # date.weekday(): Monday is 0


def is_working_day(day: date) -> bool:
    return day.weekday() < SATURDAY


def working_days(start: date, end: date) -> int:
    """Working days that began after `start` and by `end`: the days in (start, end].
    Received on Friday, Monday counts 1; received and read on the same day, 0; `end`
    before `start` (a clock skew), 0."""
    if end <= start:
        return 0
    weeks, rest = divmod((end - start).days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if is_working_day(start + timedelta(days=weeks * 7 + offset)):
            count += 1
    return count


def overdue_bound(today: date, days: int) -> date:
    """The first date that is not overdue on `today`: a request received (local date)
    before it has waited more than `days` working days, one received on it or later has
    not. working_days(received, today) > days  <=>  received < overdue_bound(today, days)."""
    counted, day = 0, today
    while True:
        if is_working_day(day):
            counted += 1
            if counted > days:
                return day
        day -= timedelta(days=1)


def local_date(moment: datetime, zone: ZoneInfo) -> date:
    """The calendar day of an aware moment in `zone` (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(zone).date()
