"""The allow-listed formula parser: what it accepts, computes and refuses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmmodel.expr import ExprError, compile_expr

NAMES = {"value", "target", "floor"}


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("value / target", {"value": 3.0, "target": 4.0}, 0.75),
        ("min(value / target, 1)", {"value": 5.0, "target": 4.0}, 1.0),
        ("max(value, 0) ** 2", {"value": -3.0}, 0.0),
        (
            "clip((value - floor) / (target - floor), 0, 1)",
            {"value": 75, "target": 90, "floor": 60},
            0.5,
        ),
        ("1 if value >= target else 0", {"value": 2, "target": 1}, 1.0),
        ("-value + 10 % 3", {"value": 2}, -1.0),
        ("where(value > 1 and value < 3, 1, 0)", {"value": 2}, 1.0),
        ("sqrt(abs(value)) + log(exp(0))", {"value": -16}, 4.0),
        ("0 < value <= 5", {"value": 5}, 1.0),
        ("not value", {"value": 0}, 1.0),
    ],
)
def test_values_match_python_arithmetic(text, env, expected):
    assert float(compile_expr(text, NAMES)(**env)) == pytest.approx(expected)


def test_vectorised_over_arrays():
    f = compile_expr("clip(value / target, 0, 1)", NAMES)
    out = f(value=np.array([0.0, 1.0, 3.0]), target=2.0)
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("__import__('os').system('echo hi')", "only calls of plain function names"),
        ("value.__class__", "Attribute is not allowed"),
        ("[v for v in value]", "not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("open('x')", "unknown function 'open'"),
        ("'text'", "only numbers"),
        ("value[0]", "Subscript is not allowed"),
        ("secret + 1", "unknown name 'secret'"),
        ("min(value)", "takes 2 argument"),
        ("clip(value, lo=0, hi=1)", "keyword arguments"),
        ("value @ target", "MatMult is not allowed"),
        ("value +", "syntax error"),
        ("value if True else 0", "only numbers"),
        ("", "non-empty"),
        ("x = 1", "syntax error"),
        ("value in (1, 2)", "not allowed"),
        ("(lambda f: f)(1)", "only calls of plain function names"),
    ],
)
def test_refuses_anything_outside_the_allow_list(text, fragment):
    with pytest.raises(ExprError, match=None) as info:
        compile_expr(text, NAMES)
    assert fragment in str(info.value)


def test_never_evaluates_at_parse_time(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(ExprError):
        compile_expr(f"__import__('pathlib').Path('{marker}').touch()", NAMES)
    assert not marker.exists()


def test_missing_variable_is_named():
    f = compile_expr("value / target", NAMES)
    with pytest.raises(ExprError, match="target"):
        f(value=1.0)


def test_too_long_text_is_refused():
    with pytest.raises(ExprError, match="longer"):
        compile_expr("+".join(["value"] * 200), NAMES)


@given(
    a=st.floats(-1e6, 1e6, allow_nan=False),
    b=st.floats(-1e6, 1e6, allow_nan=False),
)
def test_arithmetic_agrees_with_python(a, b):
    f = compile_expr("value * 2 - target / 4 + max(value, target)", NAMES)
    expected = a * 2 - b / 4 + max(a, b)
    assert math.isclose(float(f(value=a, target=b)), expected, rel_tol=1e-12, abs_tol=1e-9)
