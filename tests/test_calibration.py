"""The low-confidence threshold's calibration on held-out generated mail (intake/calibration.py)."""

from __future__ import annotations

from intake.calibration import CANDIDATES, Held, table, threshold


def test_table_counts_triage_and_errors_of_the_rest():
    # Each candidate threshold says how much goes to triage and how often the rest is wrong.
    results = [Held(0.9, True), Held(0.8, True), Held(0.5, False), Held(0.4, True)]
    rows = {t: (triaged, error) for t, triaged, error in table(results)}
    assert rows[0.3] == (0.0, 0.25)
    assert rows[0.45] == (0.25, 1 / 3)
    assert rows[0.55] == (0.5, 0.0)


def test_threshold_is_the_lowest_that_meets_the_target():
    # The lowest threshold whose kept decisions are wrong no more than the target; else the highest.
    results = [Held(0.9, True)] * 97 + [Held(0.5, False)] * 3 + [Held(0.45, False)] * 5
    assert threshold(table(results), target=0.03) == 0.475
    assert threshold(table([Held(0.9, False)]), target=0.03) == CANDIDATES[-1]
