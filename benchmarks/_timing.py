"""Timing helpers shared by the benchmark modules."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(func: Callable[[], object], repeat: int = 3, number: int = 1) -> float:
    """Best wall time [s] of ``number`` calls, over ``repeat`` rounds (least noisy estimate)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            func()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def timed(func: Callable[[], object]) -> tuple[object, float]:
    """Call ``func`` once; return (result, seconds)."""
    t0 = time.perf_counter()
    out = func()
    return out, time.perf_counter() - t0
