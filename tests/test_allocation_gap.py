"""solve_gap: OR-Library optima, brute force on small instances, bad input, infeasibility."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kmmodel import allocation
from kmmodel.allocation import InfeasibleError, read_gap, solve_gap
from kmmodel.errors import DataError

GAP_DIR = Path(__file__).parent / "data" / "gap"

# Known optima. Provenance: OR-Library gapinfo (Beasley), as listed in
# shared/benchmarks/gap/README.md: gap1-gap12 maximisation (Osman 1995; Cattrysse et al.
# 1994), gapa-gapc minimisation (Chu & Beasley 1997, proven optima).
OPTIMA = {
    "gap1": [336, 327, 339, 341, 326],
    "gap2": [434, 436, 420, 419, 428],
    "gap3": [580, 564, 573, 570, 564],
    "gap4": [656, 644, 673, 647, 664],
    "gap5": [563, 558, 564, 568, 559],
    "gap6": [761, 759, 758, 752, 747],
    "gap7": [942, 949, 968, 945, 951],
    "gap8": [1133, 1134, 1141, 1117, 1127],
    "gap9": [709, 717, 712, 723, 706],
    "gap10": [958, 963, 960, 947, 947],
    "gap11": [1139, 1178, 1195, 1171, 1171],
    "gap12": [1451, 1449, 1433, 1447, 1446],
    "gapa": [1698, 3235, 1360, 2623, 1158, 2339],
    "gapb": [1843, 3552, 1407, 2827, 1166, 2339],
    "gapc": [1931, 3456, 1402, 2806, 1243, 2391],
}
# The larger files run as `slow` so the default selection stays quick; they still run in
# `make test`. Measured here with HiGHS on one core of the (quiet) 2-core machine: whole
# set about 62 s, of which gap1-gap5 + gapa (the default selection) about 8 s.
FAST = {"gap1", "gap2", "gap3", "gap4", "gap5", "gapa"}


def _cases():
    for stem, optima in OPTIMA.items():
        for k, opt in enumerate(optima, start=1):
            name = f"{stem}-{k}"
            marks = [] if stem in FAST else [pytest.mark.slow]
            yield pytest.param(stem, k, opt, id=name, marks=marks)


def _check_feasible(inst, assign):
    n = inst.profit.shape[1]
    assert assign.shape == (n,) and assign.dtype.kind == "i"
    assert ((assign >= 0) & (assign < inst.profit.shape[0])).all()
    used = np.bincount(
        assign, weights=inst.weight[assign, np.arange(n)], minlength=len(inst.capacity)
    )
    assert (used <= inst.capacity + 1e-9).all()


@pytest.mark.parametrize(("stem", "k", "optimum"), list(_cases()))
def test_orlib_instance_reaches_known_optimum(stem, k, optimum):
    inst = read_gap(GAP_DIR / f"{stem}.txt")[k - 1]
    maximize = stem[3:].isdigit()
    assign, obj = solve_gap(inst.profit, inst.weight, inst.capacity, maximize=maximize)
    _check_feasible(inst, assign)
    assert obj == optimum
    assert inst.profit[assign, np.arange(len(assign))].sum() == optimum


def test_reader_shapes_and_counts():
    insts = read_gap(GAP_DIR / "gapa.txt")
    assert [i.shape for i in insts] == [
        (5, 100),
        (5, 200),
        (10, 100),
        (10, 200),
        (20, 100),
        (20, 200),
    ]
    assert len(read_gap(GAP_DIR / "gap1.txt")) == 5
    first = read_gap(GAP_DIR / "gap1.txt")[0]
    # first numbers of gap1.txt, read by eye: profit row 1 starts 17 21 22; capacities 36 34 38 27 33
    assert first.profit[0, :3].tolist() == [17, 21, 22]
    assert first.capacity.tolist() == [36, 34, 38, 27, 33]


def test_reader_rejects_broken_files(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1\n2 3\n1 2 3 4 5 6\n1 1 1\n")  # resource matrix and capacities cut short
    with pytest.raises(DataError, match=r"bad.txt.*needs 14 numbers"):
        read_gap(bad)
    bad.write_text("1\n1 1\n5 x 3\n")
    with pytest.raises(DataError, match="whole numbers"):
        read_gap(bad)
    bad.write_text("1\n1 1\n5 2 3 9\n")
    with pytest.raises(DataError, match="unexpected number"):
        read_gap(bad)
    with pytest.raises(DataError, match="not found"):
        read_gap(tmp_path / "missing.txt")


def _brute(p, w, c, maximize):
    m, n = p.shape
    best = None
    for combo in itertools.product(range(m), repeat=n):
        a = np.array(combo)
        used = np.bincount(a, weights=w[a, np.arange(n)], minlength=m)
        if (used <= c).all():
            val = p[a, np.arange(n)].sum()
            if best is None or (val > best if maximize else val < best):
                best = val
    return best


@st.composite
def small_gap(draw):
    m = draw(st.integers(1, 3))
    n = draw(st.integers(1, 5))
    p = np.array(draw(st.lists(st.integers(0, 20), min_size=m * n, max_size=m * n)), float).reshape(
        m, n
    )
    w = np.array(draw(st.lists(st.integers(1, 9), min_size=m * n, max_size=m * n)), float).reshape(
        m, n
    )
    c = np.array(draw(st.lists(st.integers(0, 25), min_size=m, max_size=m)), float)
    return p, w, c, draw(st.booleans())


@given(small_gap())
def test_matches_brute_force_on_small_instances(case):
    p, w, c, maximize = case
    best = _brute(p, w, c, maximize)
    if best is None:
        with pytest.raises(InfeasibleError):
            solve_gap(p, w, c, maximize=maximize)
        return
    assign, obj = solve_gap(p, w, c, maximize=maximize)
    assert obj == pytest.approx(best)
    n = p.shape[1]
    used = np.bincount(assign, weights=w[assign, np.arange(n)], minlength=len(c))
    assert (used <= c + 1e-9).all()


@given(small_gap(), st.randoms(use_true_random=False))
def test_agent_order_does_not_change_the_optimum(case, rnd):
    p, w, c, maximize = case
    perm = np.array(rnd.sample(range(len(c)), len(c)))
    try:
        _, obj = solve_gap(p, w, c, maximize=maximize)
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            solve_gap(p[perm], w[perm], c[perm], maximize=maximize)
        return
    assign2, obj2 = solve_gap(p[perm], w[perm], c[perm], maximize=maximize)
    assert obj2 == pytest.approx(obj)


def test_bad_input_lists_every_problem():
    with pytest.raises(DataError) as err:
        solve_gap([[1, 2], [3, np.nan]], [[1, -1, 2], [1, 1, 1]], [1, 1, 1])
    msg = str(err.value)
    assert "profit" in msg and "NaN" in msg
    assert "profit is (2, 2) but weight is (2, 3)" in msg
    assert "one capacity per agent" in msg
    assert "expected weights >= 0" in msg
    with pytest.raises(DataError, match="2-d array"):
        solve_gap([1, 2], [1, 2], [3])
    with pytest.raises(DataError, match="time_limit"):
        solve_gap([[1]], [[1]], [1], time_limit=-1)
    with pytest.raises(DataError, match="unknown solver"):
        solve_gap([[1]], [[1]], [1], solver="gurobi")


def test_infeasible_names_the_job_that_fits_nowhere():
    with pytest.raises(
        InfeasibleError, match=r"job\(s\) \[1\] need more than any agent's capacity"
    ):
        solve_gap([[1, 1], [1, 1]], [[1, 9], [1, 9]], [5, 5])


def test_infeasible_gives_the_least_capacity_overflow():
    # three jobs of size 3 on two agents of capacity 4: one agent must take two jobs (6 > 4)
    with pytest.raises(InfeasibleError) as err:
        solve_gap(np.ones((2, 3)), np.full((2, 3), 3.0), [4, 4])
    msg = str(err.value)
    assert re.search(r"capacity of agent [01] \(4 units\) must give way by 2 units", msg)
    assert isinstance(err.value, allocation.InfeasibleError)


def test_time_limit_still_returns_a_feasible_assignment():
    inst = read_gap(GAP_DIR / "gapa.txt")[0]
    assign, obj = solve_gap(inst.profit, inst.weight, inst.capacity, maximize=False, time_limit=5)
    _check_feasible(inst, assign)
    assert obj >= 1698  # never below the proven optimum of a minimisation


def test_cbc_on_request_gives_the_same_optimum_or_a_clear_error():
    import pulp

    inst = read_gap(GAP_DIR / "gap1.txt")[0]
    if pulp.COIN_CMD(msg=False).available():
        _, obj = solve_gap(inst.profit, inst.weight, inst.capacity, solver="cbc")
        assert obj == 336
    else:
        with pytest.raises(DataError, match="no CBC executable"):
            solve_gap(inst.profit, inst.weight, inst.capacity, solver="cbc")
