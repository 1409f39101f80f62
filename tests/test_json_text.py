"""JSON text for the database: the same values as json.dumps would store."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from intake import json_text

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(VALUES)
def test_reads_back_as_what_json_writes(value):
    assert json.loads(json_text.dumps(value)) == json.loads(json.dumps(value))


def test_what_orjson_refuses_is_written_by_json():
    # a lone surrogate (from a mail's undecodable bytes) and a huge integer
    assert json_text.dumps({"a": "x\udcff"}) == json.dumps({"a": "x\udcff"}, ensure_ascii=False)
    assert json.loads(json_text.dumps([2**70])) == [2**70]


def test_non_ascii_is_kept_and_dates_go_to_default():
    when = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)
    text = json_text.dumps({"name": "Kröger", 3: when}, default=str)
    assert "Kröger" in text
    assert json.loads(text) == {"name": "Kröger", "3": str(when)}
