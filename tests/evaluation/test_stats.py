"""The intervals of the bilan against statsmodels and SciPy, to 1e-9."""

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from parcours.evaluation import stats


@pytest.mark.parametrize(("successes", "n"), [(0, 11), (3, 11), (11, 11), (47, 120), (812, 1000), (1, 2)])
def test_wilson_interval_equals_statsmodels(successes, n):
    low, high = proportion_confint(successes, n, alpha=0.05, method="wilson")
    interval = stats.wilson(successes, n)
    assert interval.estimate == pytest.approx(successes / n, abs=1e-12)
    assert interval.low == pytest.approx(low, abs=1e-9)
    assert interval.high == pytest.approx(high, abs=1e-9)


def test_wilson_of_an_empty_group_is_none():
    assert stats.wilson(0, 0) is None


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"),
    [(56, 70, 48, 80), (9, 10, 3, 10), (0, 15, 5, 20), (130, 200, 150, 200), (11, 11, 0, 12)],
)
def test_newcombe_difference_interval_equals_statsmodels(x1, n1, x2, n2):
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=0.05)
    interval = stats.newcombe(x1, n1, x2, n2)
    assert interval.estimate == pytest.approx(x1 / n1 - x2 / n2, abs=1e-12)
    assert interval.low == pytest.approx(low, abs=1e-9)
    assert interval.high == pytest.approx(high, abs=1e-9)


@pytest.mark.parametrize("q", [0.5, 0.9])
@pytest.mark.parametrize("histogram", [{0: 3, 1: 5, 2: 9, 4: 6, 9: 2}, {3: 40, 5: 71, 6: 12, 12: 30, 20: 7}])
def test_seeded_bootstrap_interval_equals_scipy(histogram, q):
    sample = stats.expand(histogram)
    expected = scipy_stats.bootstrap(
        (sample,),
        lambda x, axis: np.quantile(x, q, axis=axis),
        n_resamples=stats.BOOTSTRAP_RESAMPLES,
        method="percentile",
        confidence_level=0.95,
        rng=np.random.default_rng(stats.BOOTSTRAP_SEED),
    ).confidence_interval
    interval = stats.bootstrap(histogram, q)
    assert interval.estimate == pytest.approx(float(np.quantile(sample, q)), abs=1e-12)
    assert interval.low == pytest.approx(expected.low, abs=1e-9)
    assert interval.high == pytest.approx(expected.high, abs=1e-9)


def test_bootstrap_is_the_same_on_every_call():
    histogram = {2: 30, 4: 50, 7: 20}
    assert stats.bootstrap(histogram, 0.5) == stats.bootstrap(histogram, 0.5)


def test_bootstrap_of_a_large_group_draws_histograms_and_stays_close_to_the_exact_one():
    histogram = {d: 400 + 37 * d for d in range(0, 15)}  # 9,885 people: above the exact limit
    assert sum(histogram.values()) > stats.BOOTSTRAP_EXACT_LIMIT
    interval = stats.bootstrap(histogram, 0.9)
    sample = stats.expand(histogram)
    rng = np.random.default_rng(1)
    replicates = np.quantile(sample[rng.integers(0, sample.size, (300, sample.size))], 0.9, axis=-1)
    low, high = np.percentile(replicates, [2.5, 97.5])
    assert interval.low <= interval.estimate <= interval.high
    assert abs(interval.low - low) <= 1 and abs(interval.high - high) <= 1
