"""Uncertainty of the published figures (95 %).

- a share: Wilson's score interval (good coverage for small n and rates near 0 or 1);
- a difference of two shares (two periods, formats, tracks): Newcombe's hybrid score interval
  (method 10 of Newcombe 1998), built from the two Wilson intervals;
- a median or a 90th percentile: a percentile bootstrap, seeded (the same figures give the same
  interval on every page and in every export), resampling the people of the histogram.

The tests compare these with statsmodels and SciPy to 1e-9.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

Z95 = NormalDist().inv_cdf(0.975)
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 20260101
# Above this many people, resampling each person costs too much for a page: the resample of a
# histogram is then drawn as one multinomial per replicate (the same distribution).
BOOTSTRAP_EXACT_LIMIT = 500


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float


def wilson(successes: float, n: float, z: float = Z95) -> Interval | None:
    if not n or n <= 0:
        return None
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return Interval(p, centre - half, centre + half)


def newcombe(successes1: float, n1: float, successes2: float, n2: float, z: float = Z95) -> Interval | None:
    """The difference p1 − p2 and its Newcombe (hybrid Wilson score) interval."""
    first, second = wilson(successes1, n1, z), wilson(successes2, n2, z)
    if first is None or second is None:
        return None
    p1, p2 = first.estimate, second.estimate
    delta = p1 - p2
    low = delta - math.sqrt((p1 - first.low) ** 2 + (second.high - p2) ** 2)
    high = delta + math.sqrt((first.high - p1) ** 2 + (p2 - second.low) ** 2)
    return Interval(delta, low, high)


def expand(distribution: dict[int, int]) -> np.ndarray:
    """The sample of a histogram {value: people}, sorted."""
    values = sorted((int(v), int(n)) for v, n in distribution.items())
    return np.repeat([v for v, _ in values], [n for _, n in values]).astype(float)


def quantile_of(distribution: dict[int, int], q: float) -> float | None:
    """The q-quantile (linear interpolation, as numpy and the spreadsheets do) of a histogram."""
    sample = expand(distribution)
    if sample.size == 0:
        return None
    return float(np.quantile(sample, q))


def bootstrap(
    distribution: dict[int, int],
    q: float,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
    confidence: float = 0.95,
) -> Interval | None:
    """Percentile bootstrap interval of the q-quantile of a histogram.

    Up to BOOTSTRAP_EXACT_LIMIT people, each replicate draws n people with replacement
    (`rng.integers`, as scipy.stats.bootstrap does: the test checks the same interval).
    """
    sample = expand(distribution)
    n = sample.size
    if n == 0:
        return None
    estimate = float(np.quantile(sample, q))
    rng = np.random.default_rng(seed)
    if n <= BOOTSTRAP_EXACT_LIMIT:
        replicates = np.quantile(sample[rng.integers(0, n, (resamples, n))], q, axis=-1)
    else:
        values = np.array(sorted(int(v) for v in distribution), dtype=float)
        counts = np.array(
            [distribution[v] if v in distribution else distribution[str(v)] for v in values.astype(int)]
        )
        drawn = rng.multinomial(n, counts / n, size=resamples)
        cumulative = np.cumsum(drawn, axis=1)
        # numpy's linear quantile on a sorted sample: position q·(n−1) between two order statistics.
        position = q * (n - 1)
        below, above = math.floor(position), math.ceil(position)
        lower = values[np.argmax(cumulative > below, axis=1)]
        upper = values[np.argmax(cumulative > above, axis=1)]
        replicates = lower + (upper - lower) * (position - below)
    alpha = (1 - confidence) / 2
    low, high = np.percentile(replicates, [100 * alpha, 100 * (1 - alpha)])
    return Interval(estimate, float(low), float(high))
