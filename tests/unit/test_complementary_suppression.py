"""The report's complementary suppression (README, "The privacy floor in the metrics"), on
figures made up for the purpose: a withheld figure must not be the difference between a
total shown and the figures shown beside it."""

from __future__ import annotations

from impraise_report.figures import FlowMatrix, Value, complement, complement_blocks

WITHHELD = Value(None, suppressed=True)


def test_one_withheld_part_of_a_shown_total_withholds_the_smallest_shown_part():
    parts = [Value(12), WITHHELD, Value(7), Value(30)]
    assert complement(parts) == [Value(12), WITHHELD, WITHHELD, Value(30)]


def test_none_or_several_withheld_parts_stay_as_they_are():
    assert complement([Value(3), Value(4)]) == [Value(3), Value(4)]
    parts = [WITHHELD, Value(4), WITHHELD]
    assert complement(parts) == parts


def test_a_shown_department_flow_with_one_team_flow_not_shown_withholds_another():
    # teams a and b are in department D, c in E; D to D is shown, D to E is not
    matrix = FlowMatrix(
        key="flows",
        title="",
        unit="",
        teams=["a", "b", "c"],
        cells={(0, 0): Value(9), (0, 1): Value(6), (1, 0): Value(5), (0, 2): Value(8)},
        hidden_teams=0,
    )
    department = {"a": "D", "b": "D", "c": "E"}
    kept = complement_blocks(matrix, department, shown={("D", "D")})
    # D to D's block (a, b) x (a, b) showed 3 of 4: its smallest shown cell, b to a, goes
    assert kept.cells == {(0, 0): Value(9), (0, 1): Value(6), (0, 2): Value(8)}
    # with D to D withheld there is no total to take the difference from
    assert complement_blocks(matrix, department, shown=set()).cells == matrix.cells
