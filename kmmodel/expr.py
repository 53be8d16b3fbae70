"""Allow-listed arithmetic expressions for scoring formulas (never ``eval``).

A scheme may give a scoring rule as formula text, e.g.
``"clip((value - floor) / (target - floor), 0, 1)"``. The text is parsed with
:mod:`ast` and only a small set of node types is accepted: numbers, the names a
caller allows, ``+ - * / ** %``, unary minus, comparisons, ``and``/``or``/``not``,
``a if cond else b`` and calls of the functions in :data:`FUNCTIONS`. Anything
else (attributes, subscripts, lambdas, strings, comprehensions, keyword
arguments…) is rejected with a message naming the offending part. The parsed
tree is evaluated element-wise over numpy arrays, so one formula scores every
unit at once.

Examples
--------
>>> f = compile_expr("min(value / target, 1)", names={"value", "target"})
>>> f(value=np.array([1.0, 3.0]), target=2.0)
array([0.5, 1. ])
>>> compile_expr("__import__('os')", names={"value"})
Traceback (most recent call last):
...
kmmodel.expr.ExprError: unknown function '__import__'; allowed: abs, clip, exp, log, max, min, sqrt, where
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from kmmodel.errors import SchemeError

__all__ = ["FUNCTIONS", "MAX_EXPONENT", "CompiledExpr", "ExprError", "compile_expr"]


class ExprError(SchemeError):
    """Formula text that is not an allowed expression (syntax, node type, name, size).

    A :class:`~kmmodel.errors.SchemeError` (and so a ``ValueError``).
    """


#: functions a formula may call: name -> (numpy function, min args, max args)
FUNCTIONS: dict[str, tuple[Callable, int, int]] = {
    "abs": (np.abs, 1, 1),
    "clip": (np.clip, 3, 3),
    "exp": (np.exp, 1, 1),
    "log": (np.log, 1, 1),
    "max": (np.maximum, 2, 2),
    "min": (np.minimum, 2, 2),
    "sqrt": (np.sqrt, 1, 1),
    "where": (np.where, 3, 3),
}

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: np.logical_not}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}
_MAX_LEN = 500
#: largest absolute constant exponent of ``**`` [-]: ``value ** 2`` is a formula,
#: ``value ** 2 ** 2 ** 2 ** 2 ** 2`` is not
MAX_EXPONENT = 64


@dataclass(frozen=True)
class CompiledExpr:
    """A checked formula; call it with keyword arrays or scalars for its names.

    Attributes
    ----------
    text : str
        The formula as written.
    names : frozenset of str
        Variable names the formula uses (a subset of the allowed names).
    """

    text: str
    tree: ast.Expression
    names: frozenset[str]

    def __call__(self, **env) -> np.ndarray:
        missing = self.names - set(env)
        if missing:
            raise ExprError(f"formula {self.text!r} needs values for {sorted(missing)}")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return np.asarray(_eval(self.tree.body, env), dtype=float)


def _eval(node: ast.AST, env: dict) -> object:
    if isinstance(node, ast.Constant):
        # float64, never Python integers: their arithmetic has no bound on size or time
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return np.asarray(env[node.id], dtype=float)
    if isinstance(node, ast.BinOp):
        return _BINOPS[type(node.op)](_eval(node.left, env), _eval(node.right, env))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_eval(node.operand, env))
    if isinstance(node, ast.BoolOp):
        vals = [np.asarray(_eval(v, env), dtype=bool) for v in node.values]
        fn = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = vals[0]
        for v in vals[1:]:
            out = fn(out, v)
        return out
    if isinstance(node, ast.Compare):
        left = _eval(node.left, env)
        out = None
        for op, comp in zip(node.ops, node.comparators):
            right = _eval(comp, env)
            part = _COMPARE[type(op)](left, right)
            out = part if out is None else np.logical_and(out, part)
            left = right
        return out
    if isinstance(node, ast.IfExp):
        return np.where(_eval(node.test, env), _eval(node.body, env), _eval(node.orelse, env))
    if isinstance(node, ast.Call):
        fn = FUNCTIONS[node.func.id][0]
        return fn(*[_eval(a, env) for a in node.args])
    raise ExprError(f"unexpected node {type(node).__name__}")  # pragma: no cover (checked)


def _check(tree: ast.AST, allowed: set[str], text: str) -> set[str]:
    used: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Expression):
            continue
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
                raise ExprError(f"only numbers are allowed as constants, got {node.value!r}")
            try:
                finite = math.isfinite(float(node.value))
            except OverflowError:
                finite = False
            if not finite:
                raise ExprError(
                    f"formula {text!r}: the number {_short(node)} is too large for a float"
                )
        elif isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and node.id in FUNCTIONS:
                continue  # the function name of a call, checked below
            if node.id not in allowed:
                raise ExprError(
                    f"unknown name {node.id!r}; allowed: {', '.join(sorted(allowed)) or 'none'}"
                )
            used.add(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name):
                raise ExprError("only calls of plain function names are allowed")
            name = node.func.id
            if name not in FUNCTIONS:
                raise ExprError(
                    f"unknown function {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}"
                )
            if node.keywords:
                raise ExprError(f"{name}(): keyword arguments are not allowed")
            lo, hi = FUNCTIONS[name][1:]
            if not lo <= len(node.args) <= hi:
                raise ExprError(f"{name}() takes {lo} argument(s), got {len(node.args)}")
            if any(isinstance(a, ast.Starred) for a in node.args):
                raise ExprError(f"{name}(): starred arguments are not allowed")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise ExprError(f"operator {type(node.op).__name__} is not allowed")
        elif isinstance(node, ast.UnaryOp):
            if type(node.op) not in _UNARY:
                raise ExprError(f"operator {type(node.op).__name__} is not allowed")
        elif isinstance(node, ast.Compare):
            bad = [type(o).__name__ for o in node.ops if type(o) not in _COMPARE]
            if bad:
                raise ExprError(f"comparison {bad[0]} is not allowed")
        elif isinstance(
            node,
            (
                ast.BoolOp,
                ast.IfExp,
                ast.And,
                ast.Or,
                ast.Load,
                *_BINOPS,
                *_UNARY,
                *_COMPARE,
            ),
        ):
            continue
        else:
            raise ExprError(f"{type(node).__name__} is not allowed in a formula")
    return used


def _short(node: ast.AST, limit: int = 40) -> str:
    src = ast.unparse(node)
    return src if len(src) <= limit else src[: limit - 3] + "..."


class _Folder(ast.NodeTransformer):
    """Replace every constant sub-expression by its float value, checking its size.

    Constant parts are computed once, in float arithmetic with every floating-point
    error raised, so ``9**9**9`` or ``1/0`` is refused when the formula is read
    instead of spinning on a big-integer power or failing while scoring.
    """

    def __init__(self, text: str):
        self.text = text
        self.src = text.strip()  # the text that was parsed (node offsets refer to it)

    def _part(self, node: ast.AST) -> str:
        part = getattr(node, "_src", None) or ast.unparse(node)
        return part if len(part) <= 60 else part[:57] + "..."

    def _fail(self, node: ast.AST, what: str):
        raise ExprError(f"formula {self.text!r}: the constant part {self._part(node)!r} {what}")

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.copy_location(ast.Constant(float(node.value)), node)

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.expr):
            node._src = ast.get_source_segment(self.src, node)
        node = super().generic_visit(node)
        if isinstance(node, ast.BinOp):
            self._check_binop(node)
        if not isinstance(node, ast.expr) or isinstance(node, ast.Constant):
            return node
        if not _is_constant(node):
            return node
        with np.errstate(all="raise"):
            try:
                value = _eval(node, {})
            except (FloatingPointError, ZeroDivisionError, OverflowError) as exc:
                msg = str(exc)
                if "overflow" in msg or isinstance(exc, OverflowError):
                    self._fail(node, "is too large for a float")
                if "divide" in msg or isinstance(exc, ZeroDivisionError):
                    self._fail(node, "divides by zero")
                self._fail(node, "has no real value")
        value = float(np.asarray(value, dtype=float))
        if not math.isfinite(value):
            self._fail(node, "is not a finite number")
        return ast.copy_location(ast.Constant(value), node)

    def _check_binop(self, node: ast.BinOp) -> None:
        right = node.right
        if not isinstance(right, ast.Constant):
            return
        if (
            isinstance(node.op, ast.Pow)
            and not isinstance(node.left, ast.Constant)  # constant powers are folded and checked
            and abs(right.value) > MAX_EXPONENT
        ):
            raise ExprError(
                f"formula {self.text!r}: exponent {right.value:g} in {self._part(node)!r} is "
                f"outside [-{MAX_EXPONENT}, {MAX_EXPONENT}]"
            )
        if isinstance(node.op, (ast.Div, ast.Mod)) and right.value == 0:
            raise ExprError(f"formula {self.text!r}: {self._part(node)!r} divides by zero")


def _is_constant(node: ast.AST) -> bool:
    """True when no variable occurs in ``node`` (function names of calls are not variables)."""
    nodes = list(ast.walk(node))
    funcs = {id(n.func) for n in nodes if isinstance(n, ast.Call)}
    return not any(isinstance(n, ast.Name) and id(n) not in funcs for n in nodes)


def compile_expr(text: str, names: Iterable[str]) -> CompiledExpr:
    """Parse and check a formula; return a callable evaluating it over arrays.

    Parameters
    ----------
    text : str
        The formula, Python expression syntax (at most 500 characters).
    names : iterable of str
        Variable names the formula may use (e.g. ``value``, ``target``).

    Returns
    -------
    CompiledExpr
        Call it with keyword arguments for the names used.

    Raises
    ------
    ExprError
        Syntax error, or any node, name or function outside the allow-list.

    Notes
    -----
    Constant parts are computed when the formula is read, in float arithmetic: a
    constant that overflows a float (``10**400``, ``2.0**5000``, ``9**9**9``), divides
    by zero (``1/0``) or has no real value (``(-1)**0.5``) is refused, as are a constant
    exponent beyond :data:`MAX_EXPONENT` and a division by the constant zero. Evaluation
    is in float arithmetic only, so its time is bounded by the formula's length.
    Division by zero among the values gives ``inf``/``nan`` (numpy semantics) rather
    than an error; scoring clips results into [0, 1] and treats ``nan`` as zero
    achievement.
    """
    if not isinstance(text, str) or not text.strip():
        raise ExprError("formula must be non-empty text")
    if len(text) > _MAX_LEN:
        raise ExprError(f"formula longer than {_MAX_LEN} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExprError(f"syntax error in formula {text!r}: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError):
        raise ExprError(f"formula {text!r} is not a readable expression") from None
    used = _check(tree, set(names), text)
    try:
        tree = ast.fix_missing_locations(_Folder(text).visit(tree))
    except RecursionError:
        raise ExprError(f"formula {text!r} is nested too deeply") from None
    return CompiledExpr(text=text, tree=tree, names=frozenset(used))
