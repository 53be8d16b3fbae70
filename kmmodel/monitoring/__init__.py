"""Monitoring: time-progress early warnings and data-distortion checks.

- :func:`progress` — 序时进度 warnings: expected progress (linear or seasonal), gap,
  projected year-end with an interval, green / yellow / red with the reason;
- :func:`benford` — Benford first-digit / first-two-digit test (MAD bands, chi-square);
- :func:`outliers`, :func:`feed_outliers` — robust (median / MAD) outliers vs peers and time;
- :func:`jumps` — sudden jumps and end-of-period spikes;
- :func:`digit_preference` — heaping on 0 / 5;
- :func:`consistency` — self-reported vs third-party figures with a tolerance;
- :func:`bunching` — values piling up just above a scoring threshold (thresholds from a
  scheme with :func:`scheme_thresholds`);
- :func:`bid_screens` — bid-rigging screens per tender (CV, relative distance,
  skewness, kurtosis);
- :func:`screen` — all checks on one year, combined into a unit data-quality score.

Examples
--------
>>> import numpy as np
>>> from kmmodel import monitoring
>>> res = monitoring.benford(10 ** np.random.default_rng(1).uniform(0, 6, 3000))
>>> res.conforms
True
"""

from kmmodel.monitoring.benford import (
    MAD_BANDS,
    BenfordResult,
    benford,
    benford_by,
    expected_shares,
    leading_digits,
    mad_band,
)
from kmmodel.monitoring.bunching import BunchingResult, bunching, completion
from kmmodel.monitoring.charts import benford_chart, progress_chart, status_chart
from kmmodel.monitoring.collusion import SCREENS, bid_screens
from kmmodel.monitoring.consistency import ConsistencyResult, consistency
from kmmodel.monitoring.digits import DigitResult, digit_preference, last_digits
from kmmodel.monitoring.feed import FEED_COLUMNS, feed_problems, validate_feed, with_increments
from kmmodel.monitoring.jumps import JumpResult, jumps
from kmmodel.monitoring.outliers import OutlierResult, feed_outliers, outliers
from kmmodel.monitoring.progress import (
    ProgressResult,
    Thresholds,
    linear_profile,
    progress,
    seasonal_profile,
)
from kmmodel.monitoring.quality import CHECKS, ScreenConfig, ScreenResult, quality_score, screen
from kmmodel.monitoring.thresholds import scheme_thresholds

__all__ = [
    "CHECKS",
    "FEED_COLUMNS",
    "MAD_BANDS",
    "BenfordResult",
    "BunchingResult",
    "ConsistencyResult",
    "DigitResult",
    "JumpResult",
    "OutlierResult",
    "ProgressResult",
    "ScreenConfig",
    "SCREENS",
    "ScreenResult",
    "Thresholds",
    "benford",
    "benford_by",
    "benford_chart",
    "bid_screens",
    "bunching",
    "completion",
    "consistency",
    "digit_preference",
    "expected_shares",
    "feed_outliers",
    "feed_problems",
    "jumps",
    "last_digits",
    "leading_digits",
    "linear_profile",
    "mad_band",
    "outliers",
    "progress",
    "progress_chart",
    "quality_score",
    "scheme_thresholds",
    "screen",
    "seasonal_profile",
    "status_chart",
    "validate_feed",
    "with_increments",
]
