"""Figures over seeds: mean ± standard deviation, and paired differences with a Student-t interval.

    >>> spread([0.30, 0.34, 0.38])                                  # mean 0.34, sd 0.04, n 3
    >>> paired_difference([0.40, 0.42, 0.47], [0.30, 0.34, 0.38])   # mean 0.09 of (0.10, 0.08, 0.09)
    >>> rank_agreement([0.1, 0.3, 0.2], [0.5, 0.9, 0.6])            # Spearman rho 1.0 over 3 rows

A paired difference is the mean of the per-seed differences ``a_i − b_i`` with the interval
``mean ± t(1 − α/2, n − 1) · sd / √n``; with one seed there is no interval (``low``/``high``
None), never a made-up one. The t quantile is ``scipy.stats.t.ppf`` (scipy is installed with
scikit-learn, a dependency of the trainer). Missing figures (None or NaN) are left out, and a
difference only counts the seeds where both sides have the figure.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Spread:
    """Mean and sample standard deviation (``ddof=1``; None below two values) of ``n`` figures."""

    mean: float | None
    sd: float | None
    n: int

    def to_json(self) -> dict[str, Any]:
        """The fields as plain values."""
        return asdict(self)


@dataclass(frozen=True)
class PairedDifference:
    """Mean of ``n`` paired differences and its ``confidence`` interval (None below two pairs)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    confidence: float = CONFIDENCE

    def to_json(self) -> dict[str, Any]:
        """The fields as plain values."""
        return asdict(self)


def _present(value: Any) -> bool:
    return value is not None and math.isfinite(value)


def spread(values: Sequence[float | None]) -> Spread:
    """Mean ± sample standard deviation of the figures that are present."""
    kept = np.array([v for v in values if _present(v)], dtype=float)
    if not len(kept):
        return Spread(None, None, 0)
    sd = float(kept.std(ddof=1)) if len(kept) > 1 else None
    return Spread(float(kept.mean()), sd, len(kept))


def paired_difference(a: Sequence[float | None], b: Sequence[float | None],
                      confidence: float = CONFIDENCE) -> PairedDifference:
    """Mean of ``a_i − b_i`` over the pairs where both are present, with a Student-t interval."""
    from scipy import stats

    if len(a) != len(b):
        raise ValueError(f"paired figures need one value per seed on both sides, got {len(a)} and {len(b)}")
    diffs = np.array([x - y for x, y in zip(a, b) if _present(x) and _present(y)], dtype=float)
    n = len(diffs)
    if n == 0:
        return PairedDifference(None, None, None, 0, confidence)
    mean = float(diffs.mean())
    if n == 1:
        return PairedDifference(mean, None, None, 1, confidence)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * float(diffs.std(ddof=1)) / math.sqrt(n)
    return PairedDifference(mean, mean - half, mean + half, n, confidence)


@dataclass(frozen=True)
class RankAgreement:
    """Spearman's rank correlation ``rho`` between two figures over ``n`` rows (None below three)."""

    rho: float | None
    n: int

    def to_json(self) -> dict[str, Any]:
        """The fields as plain values."""
        return asdict(self)


def rank_agreement(a: Sequence[float | None], b: Sequence[float | None]) -> RankAgreement:
    """How alike two figures rank the same rows: Spearman's rho over the rows where both are present.

    Below three rows, or where one figure does not vary, there is no ranking to compare (None).
    """
    from scipy import stats

    if len(a) != len(b):
        raise ValueError(f"rank agreement needs one value per row on both sides, got {len(a)} and {len(b)}")
    pairs = [(x, y) for x, y in zip(a, b) if _present(x) and _present(y)]
    if len(pairs) < 3 or len({x for x, _ in pairs}) < 2 or len({y for _, y in pairs}) < 2:
        return RankAgreement(None, len(pairs))
    rho = stats.spearmanr([x for x, _ in pairs], [y for _, y in pairs]).statistic
    return RankAgreement(float(rho), len(pairs))
