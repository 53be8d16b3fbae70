"""Seeds and random streams.

Every random function in kmmodel takes ``seed`` (``None``, an int, a
:class:`numpy.random.SeedSequence` or a :class:`numpy.random.Generator`) and turns it
into a generator with :func:`as_generator`. Parallel work draws independent,
reproducible streams with :func:`spawn` (``SeedSequence.spawn``), so results do not
depend on how many workers run them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SeedLike", "as_generator", "spawn", "spawn_seeds"]

SeedLike = int | np.random.SeedSequence | np.random.Generator | None


def as_generator(seed: SeedLike = None) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    A Generator is returned unchanged (so callers can share one stream).
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, (bool, np.bool_)):
        raise TypeError("seed must be an int, SeedSequence or Generator, not bool")
    return np.random.default_rng(seed)


def spawn_seeds(seed: SeedLike, n: int) -> list[np.random.SeedSequence]:
    """``n`` independent child seed sequences of ``seed`` (order-stable)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if isinstance(seed, np.random.Generator):
        ss = seed.bit_generator.seed_seq
    elif isinstance(seed, np.random.SeedSequence):
        ss = seed
    else:
        ss = np.random.SeedSequence(seed)
    return ss.spawn(n)


def spawn(seed: SeedLike, n: int) -> list[np.random.Generator]:
    """``n`` independent generators derived from ``seed``.

    Stream ``i`` is the same whatever executor or worker count runs it.
    """
    return [np.random.default_rng(s) for s in spawn_seeds(seed, n)]
