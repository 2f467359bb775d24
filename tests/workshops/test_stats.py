"""Confidence intervals against published values (Wilson score, Student's t quantiles)."""

import pytest

from parcours.workshops import stats


@pytest.mark.parametrize(
    ("x", "n", "low", "high"),
    [(0, 10, 0.0, 0.2775), (10, 10, 0.7225, 1.0), (5, 10, 0.2366, 0.7634), (1, 20, 0.0089, 0.2361)],
)
def test_wilson_interval_matches_published_values(x, n, low, high):
    interval = stats.wilson(x, n)
    assert interval.estimate == pytest.approx(x / n)
    assert interval.low == pytest.approx(low, abs=5e-4)
    assert interval.high == pytest.approx(high, abs=5e-4)


def test_wilson_has_no_interval_without_observations():
    assert stats.wilson(0, 0) is None
    with pytest.raises(ValueError):
        stats.wilson(3, 2)


@pytest.mark.parametrize(
    ("df", "quantile"), [(1, 12.7062), (2, 4.3027), (4, 2.7764), (10, 2.2281), (30, 2.0423), (1000, 1.9623)]
)
def test_student_quantile_matches_tables(df, quantile):
    assert stats.t_quantile(0.975, df) == pytest.approx(quantile, abs=1e-4)
    assert stats.t_quantile(0.025, df) == pytest.approx(-quantile, abs=1e-4)


def test_mean_interval_uses_student_and_stays_on_the_scale():
    interval = stats.mean_interval([4, 5, 3, 4, 5])
    # mean 4.2, s = 0.8367, t(4) = 2.7764 → half-width 1.0389
    assert interval.estimate == pytest.approx(4.2)
    assert interval.low == pytest.approx(3.1611, abs=1e-3)
    assert interval.high == pytest.approx(5.0)  # 5.2389 clipped to the top of the scale
    assert stats.mean_interval([4]) is None
