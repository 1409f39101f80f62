"""Working days (intake/workdays.py): how long a request has waited, and when it is overdue."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from intake.workdays import local_date, overdue_bound, working_days

MONDAY = date(2026, 11, 30)
FRIDAY = MONDAY + timedelta(days=4)
SATURDAY = MONDAY + timedelta(days=5)


def by_hand(start: date, end: date) -> int:
    return sum(1 for i in range(1, (end - start).days + 1) if (start + timedelta(days=i)).weekday() < 5)


def test_known_days():
    # Friday to Monday is one working day; the same day none; a week five; a weekend none.
    assert working_days(FRIDAY, FRIDAY + timedelta(days=3)) == 1
    assert working_days(MONDAY, MONDAY) == 0
    assert working_days(MONDAY, MONDAY + timedelta(days=7)) == 5
    assert working_days(FRIDAY, SATURDAY + timedelta(days=1)) == 0
    assert working_days(SATURDAY, SATURDAY + timedelta(days=2)) == 1  # received at the weekend
    assert working_days(MONDAY, MONDAY - timedelta(days=3)) == 0  # a clock skew counts nothing
    assert working_days(MONDAY - timedelta(days=28), MONDAY) == 20


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(-5, 400))
def test_matches_counting_day_by_day(start, span):
    # The weekly shortcut counts exactly the weekdays in (start, end].
    assert working_days(start, start + timedelta(days=span)) == by_hand(start, start + timedelta(days=span))


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    st.integers(0, 60),
    st.integers(1, 30),
)
def test_overdue_bound_agrees_with_working_days(today, back, days):
    # A request received before the bound has waited more than `days` working days, and
    # only such a request.
    received = today - timedelta(days=back)
    assert (received < overdue_bound(today, days)) == (working_days(received, today) > days)


def test_overdue_after_three_working_days():
    # With the default 3: received Monday, overdue on Friday, not on Thursday.
    assert working_days(MONDAY, MONDAY + timedelta(days=3)) == 3
    assert not MONDAY < overdue_bound(MONDAY + timedelta(days=3), 3)
    assert MONDAY < overdue_bound(MONDAY + timedelta(days=4), 3)


def test_local_date_uses_the_zone():
    # 23:30 UTC on Sunday is already Monday in Brussels; a naive stamp is UTC.
    late = datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert local_date(late, ZoneInfo("Europe/Brussels")) == MONDAY
    assert local_date(late.replace(tzinfo=None), ZoneInfo("UTC")) == MONDAY - timedelta(days=1)
