"""Run seeded tasks on any :class:`concurrent.futures.Executor`.

The shared engine of :mod:`kmmodel.sweep` and the correction test bench. Each task
gets its own random stream, a child of one :class:`numpy.random.SeedSequence`
(``SeedSequence(seed).spawn(n)``), so task ``i`` draws the same numbers whether it
runs serially, in a local process pool or on a ``dask.distributed`` cluster
(``Client.get_executor()``), and whatever the order tasks finish in. A task that
raises is recorded with its error; the other tasks' results are kept.

Notes
-----
With a process pool or dask, ``func`` and the tasks must be picklable (define
``func`` at module level, not as a lambda or inside a notebook cell when using
processes; dask pickles notebook functions with cloudpickle).
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np

from kmmodel.rng import SeedLike, spawn_seeds

__all__ = ["Outcome", "map_seeded"]


@dataclass(frozen=True)
class Outcome:
    """Result of one task: its position, the task, and the value or the error."""

    index: int
    task: Any
    ok: bool
    value: Any = None
    error: str = ""
    traceback: str = ""


def _run_one(func: Callable, index: int, task: Any, seq: np.random.SeedSequence) -> Outcome:
    try:
        value = func(task, np.random.default_rng(seq))
    except Exception as exc:  # recorded per task, never lost
        return Outcome(
            index,
            task,
            False,
            error=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
    return Outcome(index, task, True, value)


def map_seeded(
    func: Callable[[Any, np.random.Generator], Any],
    tasks: Sequence[Any],
    *,
    seed: SeedLike = 0,
    executor: Executor | None = None,
    progress: bool = False,
    desc: str = "tasks",
) -> list[Outcome]:
    """Call ``func(task, rng)`` for every task, each with its own reproducible stream.

    Parameters
    ----------
    func : callable
        ``func(task, rng) -> value``; ``rng`` is a :class:`numpy.random.Generator`.
    tasks : sequence
        The tasks (e.g. parameter dicts or replication numbers).
    seed : int, SeedSequence or Generator
        Root seed; task ``i`` uses child ``i`` of ``SeedSequence(seed)``.
    executor : concurrent.futures.Executor, optional
        ``None`` runs serially in this process; otherwise a ``ProcessPoolExecutor``,
        ``ThreadPoolExecutor`` or ``dask.distributed.Client.get_executor()``.
    progress : bool
        Show a tqdm progress bar (on stderr).
    desc : str
        Label of the progress bar.

    Returns
    -------
    list of Outcome
        In task order, whatever order they finished in.
    """
    tasks = list(tasks)
    seqs = spawn_seeds(seed, len(tasks))
    bar = None
    if progress:
        from tqdm.std import tqdm  # plain text bar: no ipywidgets needed in notebooks

        bar = tqdm(total=len(tasks), desc=desc, file=sys.stderr, leave=False)
    out: list[Outcome | None] = [None] * len(tasks)
    try:
        if executor is None:
            for i, (task, seq) in enumerate(zip(tasks, seqs, strict=True)):
                out[i] = _run_one(func, i, task, seq)
                if bar is not None:
                    bar.update()
        else:
            futures = {
                executor.submit(_run_one, func, i, task, seq): i
                for i, (task, seq) in enumerate(zip(tasks, seqs, strict=True))
            }
            for fut in as_completed(futures):
                i = futures[fut]
                try:
                    out[i] = fut.result()
                except Exception as exc:  # the worker itself failed (pickling, lost worker)
                    out[i] = Outcome(i, tasks[i], False, error=f"{type(exc).__name__}: {exc}")
                if bar is not None:
                    bar.update()
    finally:
        if bar is not None:
            bar.close()
    return out  # type: ignore[return-value]
