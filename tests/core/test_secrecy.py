"""Statistical secrecy (core.secrecy): primary suppression below the threshold, secondary
suppression that leaves no hidden cell recomputable from the totals."""

import numpy as np
import pytest

from parcours.core import secrecy


def test_primary_suppression_hides_one_to_ten_people_and_follows_the_setting(settings):
    assert [secrecy.too_small(n) for n in (0, 1, 10, 11, 250)] == [False, True, True, False, False]
    assert secrecy.hidden_label() == "< 11"
    settings.PARCOURS_STATISTICAL_SECRECY_THRESHOLD = 5
    assert not secrecy.too_small(5) and secrecy.too_small(4)
    assert secrecy.hidden_label() == "< 5"


def test_a_lone_count_is_shown_or_hidden():
    assert secrecy.shown(12) == 12 and secrecy.shown(3) is None and secrecy.shown(0) is None


def test_with_margins_adds_the_totals_on_every_axis():
    table = secrecy.with_margins(np.array([[1, 2], [3, 4]]))
    assert table.tolist() == [[1, 2, 3], [3, 4, 7], [4, 6, 10]]


def test_one_hidden_cell_in_a_row_with_its_total_is_recomputable():
    table = secrecy.with_margins(np.array([[20, 3, 40], [25, 30, 35], [50, 60, 70]]))
    hidden = np.zeros(table.shape, dtype=bool)
    hidden[0, 1] = True  # the 3 alone: 63 − 20 − 40
    spans = secrecy.attack([table], hidden)
    assert spans[np.ravel_multi_index((0, 1), table.shape)].determined


def test_secondary_suppression_protects_a_lone_small_cell():
    table = secrecy.with_margins(np.array([[20, 3, 40], [25, 30, 35], [50, 60, 70]]))
    sensitive = np.vectorize(secrecy.too_small)(table)
    hidden = secrecy.protect([table], sensitive)
    assert hidden.sum() >= 4  # a rectangle at least: two per row, two per column
    assert hidden[0, 1] and not hidden[-1, -1]
    assert secrecy.determined_cells([table], hidden) == []


def test_two_small_cells_of_a_row_are_not_enough_when_their_columns_give_them_away():
    # 3 and 4 share a row; each column has one hidden cell only: the column totals give them away.
    table = secrecy.with_margins(np.array([[3, 4, 50], [30, 40, 60]]))
    sensitive = np.vectorize(secrecy.too_small)(table)
    assert secrecy.determined_cells([table], sensitive)
    hidden = secrecy.protect([table], sensitive)
    assert secrecy.determined_cells([table], hidden) == []


def test_a_share_protects_numerators_and_denominators_with_one_pattern():
    numerators = secrecy.with_margins(np.array([[5, 30, 20], [15, 25, 40]]))
    denominators = secrecy.with_margins(np.array([[9, 40, 30], [20, 31, 50]]))
    sensitive = np.vectorize(secrecy.too_small)(numerators) | np.vectorize(secrecy.too_small)(denominators)
    hidden = secrecy.protect([numerators, denominators], sensitive)
    assert hidden[0, 0]
    assert secrecy.determined_cells([numerators, denominators], hidden) == []


@pytest.mark.parametrize("seed", range(12))
def test_random_three_way_tables_leave_no_hidden_cell_determined(seed):
    rng = np.random.default_rng(seed)
    interior = rng.choice([0, 0, 1, 2, 4, 7, 12, 25, 60], size=(4, 5, 3))
    table = secrecy.with_margins(interior)
    sensitive = np.vectorize(secrecy.too_small)(table)
    hidden = secrecy.protect([table], sensitive)
    assert (hidden | ~sensitive).all()  # every sensitive cell stays hidden
    assert secrecy.determined_cells([table], hidden) == []


@pytest.mark.parametrize("code", ["92", "974"])
def test_working_day_numbers_count_the_same_days_as_walking_the_calendar(db, code):
    from datetime import date, timedelta

    from parcours.core import calendar
    from parcours.core.models import Department

    department = Department.objects.get(code=code)
    start = date(2025, 12, 15)
    for offset in range(0, 400, 7):
        end = start + timedelta(days=offset)
        assert calendar.working_day_number(department.holiday_subdivision, end) - calendar.working_day_number(
            department.holiday_subdivision, start
        ) == calendar.working_days_between(department, start, end)
