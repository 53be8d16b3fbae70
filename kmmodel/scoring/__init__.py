"""Scoring units against an assessment scheme: ``score``, ``compare``, the result.

>>> import kmmodel as km
>>> s = km.examples.scheme("kunming_2025")
>>> res = km.score(s, km.datasets.load("observations_2025"))
>>> list(res.table.columns[:6])
['unit', 'group', 'total', 'grade', 'rank', 'vetoed']
>>> bool(res.table["total"].between(0, s.total).all())
True
"""

from __future__ import annotations

from kmmodel.scoring.aggregate import aggregate
from kmmodel.scoring.core import compare, score, score_achievement
from kmmodel.scoring.result import ScoreResult
from kmmodel.scoring.sensitivity import aggregation_ranks

__all__ = [
    "ScoreResult",
    "aggregate",
    "aggregation_ranks",
    "compare",
    "score",
    "score_achievement",
]
