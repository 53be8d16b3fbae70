"""Errors raised by kmmodel.

Every entry point validates its input and raises one of these classes with a
message that names the file, row or field and what was expected. Validation
collects *all* problems before raising, so a user fixes a file in one pass.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = [
    "DataError",
    "InfeasibleError",
    "KmmodelError",
    "Problem",
    "Problems",
    "ReportError",
    "SchemeError",
]


@dataclass(frozen=True)
class Problem:
    """One validation finding.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    where : str, optional
        Location: a row (``"row 12"``), a field, an indicator id, a sheet cell.
    """

    message: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class KmmodelError(Exception):
    """Base class of kmmodel's own errors.

    Parameters
    ----------
    problems : str or iterable of (str or Problem)
        One message, or every problem found.
    source : str, optional
        The file or object the problems belong to (shown first in the message).
    """

    def __init__(self, problems: str | Iterable[str | Problem], source: str | None = None):
        if isinstance(problems, str):
            problems = [problems]
        self.problems: list[Problem] = [
            p if isinstance(p, Problem) else Problem(str(p)) for p in problems
        ]
        self.source = source
        super().__init__(self._format())

    def _format(self) -> str:
        head = f"{self.source}: " if self.source else ""
        if len(self.problems) == 1:
            return f"{head}{self.problems[0]}"
        lines = "\n".join(f"  - {p}" for p in self.problems)
        return f"{head}{len(self.problems)} problems found:\n{lines}"


class DataError(KmmodelError, ValueError):
    """Input data (a CSV, a DataFrame, an argument) is not what a model needs."""


class SchemeError(KmmodelError, ValueError):
    """An assessment scheme (YAML or Excel) is invalid."""


class InfeasibleError(KmmodelError):
    """An optimisation model has no solution under the stated rules."""


class ReportError(KmmodelError):
    """The report runner cannot start (unknown notebook, bad parameter, unwritable folder)."""


@dataclass
class Problems:
    """Collect validation problems, then raise them all at once.

    Examples
    --------
    >>> probs = Problems(source="data/units.csv")
    >>> probs.add("expected a number, got 'abc'", where="row 3, column value")
    >>> bool(probs)
    True
    >>> probs.raise_if_any(DataError)
    Traceback (most recent call last):
    ...
    kmmodel.errors.DataError: data/units.csv: row 3, column value: expected a number, got 'abc'
    """

    source: str | None = None
    items: list[Problem] = field(default_factory=list)

    def add(self, message: str, where: str = "") -> None:
        self.items.append(Problem(message, where))

    def extend(self, other: Iterable[Problem]) -> None:
        self.items.extend(other)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def raise_if_any(self, cls: type[KmmodelError] = None) -> None:  # type: ignore[assignment]
        if self.items:
            raise (cls or DataError)(self.items, source=self.source)


def rows_phrase(rows: Iterable[int], limit: int = 10) -> str:
    """Format 0-based DataFrame positions as 1-based file rows (header is row 1).

    >>> rows_phrase([0, 1, 5])
    'rows 2, 3, 7'
    """
    rows = [int(r) + 2 for r in rows]
    shown = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    return ("row " if len(rows) == 1 else "rows ") + shown + more
