"""Reader for the OR-Library generalized-assignment (GAP) instance files.

File format (Beasley's OR-Library, ``gap1.txt`` … ``gap12.txt``, ``gapa.txt`` …):
the number of instances P, then for each instance ``m n`` (agents, jobs), the
m x n profit-or-cost matrix row by row, the m x n resource matrix, and the m
capacities. Numbers may wrap over lines freely.

References
----------
Beasley, J. E. (1990). OR-Library: distributing test problems by electronic mail.
Journal of the Operational Research Society 41(11), 1069-1072.
Chu, P. C. and Beasley, J. E. (1997). A genetic algorithm for the generalised
assignment problem. Computers & Operations Research 24(1), 17-23.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kmmodel.errors import DataError

__all__ = ["GapInstance", "read_gap"]


@dataclass(frozen=True)
class GapInstance:
    """One GAP instance: ``profit`` and ``weight`` are m x n, ``capacity`` has length m."""

    name: str
    profit: np.ndarray
    weight: np.ndarray
    capacity: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(agents, jobs)."""
        return self.profit.shape


def read_gap(path: str | Path) -> list[GapInstance]:
    """Read every instance of an OR-Library GAP file.

    Parameters
    ----------
    path : str or Path
        A file such as ``gap1.txt`` or ``gapa.txt``.

    Returns
    -------
    list of GapInstance
        Named ``"<stem>-<k>"`` with k = 1, 2, … in file order.

    Raises
    ------
    DataError
        The file is missing, holds non-integers, or has too few / too many numbers.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("GAP instance file not found", source=str(path))
    try:
        nums = np.array(path.read_text().split(), dtype=np.int64)
    except ValueError as exc:
        raise DataError(f"expected whole numbers only ({exc})", source=str(path)) from None
    if nums.size == 0:
        raise DataError("empty file; expected the number of instances first", source=str(path))
    count, pos, out = int(nums[0]), 1, []
    for k in range(count):
        if pos + 2 > nums.size:
            raise DataError(f"instance {k + 1}: missing its 'm n' header", source=str(path))
        m, n = int(nums[pos]), int(nums[pos + 1])
        pos += 2
        need = 2 * m * n + m
        if m <= 0 or n <= 0 or pos + need > nums.size:
            raise DataError(
                f"instance {k + 1}: header m={m}, n={n} needs {need} numbers, "
                f"{max(nums.size - pos, 0)} left",
                source=str(path),
            )
        block = nums[pos : pos + need]
        pos += need
        out.append(
            GapInstance(
                name=f"{path.stem}-{k + 1}",
                profit=block[: m * n].reshape(m, n).astype(float),
                weight=block[m * n : 2 * m * n].reshape(m, n).astype(float),
                capacity=block[2 * m * n :].astype(float),
            )
        )
    if pos != nums.size:
        raise DataError(
            f"{nums.size - pos} unexpected number(s) after the {count} declared instances",
            source=str(path),
        )
    return out
