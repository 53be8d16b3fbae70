"""Declared table schemas (kmmodel.tables): one pass, every problem, file rows, full-width input."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import kmmodel as km
from kmmodel.allocation import inputs
from kmmodel.errors import DataError, Problems
from kmmodel.tables import Column, Table, normalise_header, parse_numbers, require, separator_hint

PRICES = Table(
    "prices",
    (
        Column("id", unique=True),
        Column("kind", choices=("a", "b")),
        Column("price", "float", low=0, low_open=True, unit=" yuan"),
        Column("share", "float", low=0, high=1),
        Column("n", "int", required=False, nullable=True),
        Column("owner", required=False, ref="owners.owner"),
    ),
    key=("kind", "price"),
)


def _problems(df, **kw) -> str:
    with pytest.raises(DataError) as exc:
        PRICES.check(df, "prices.csv", **kw)
    return str(exc.value)


def test_every_problem_of_a_table_in_one_message_with_file_rows():
    df = pd.DataFrame(
        {
            "id": ["p1", "p1", "p3", None, "p5", "p6"],
            "kind": ["a", "a", "c", "b", "b", "a"],
            "price": ["10", "10", "abc", "", "inf", "-1"],
            "share": [0.5, 0.2, 1.5, 0.1, 0.1, 0.1],
            "n": ["1", "2.5", "", "3", "4", "5"],
            "owner": ["o1", "o1", "o9", "o1", "o1", "o1"],
        }
    )
    msg = _problems(df, refs={"owners.owner": ["o1"]})
    assert msg.startswith("prices.csv: ") and "problems found" in msg
    # file rows: header = row 1, the first data row is row 2
    assert "column id: duplicate ids ['p1'] in rows 2, 3" in msg
    assert "column id: missing value in row 5" in msg
    assert "column kind: expected one of ('a', 'b') in row 4, got ['c']" in msg
    assert "column price: expected a number in row 4, got ['abc']" in msg
    assert "column price: missing value in row 5" in msg
    assert "column price: expected a finite number in row 6, got infinite ['inf']" in msg
    assert "column price: expected > 0 yuan in row 7, got [-1.0]" in msg
    assert "column share: expected <= 1 in row 4, got [1.5]" in msg
    assert "column n: expected a whole number in row 3, got [2.5]" in msg
    assert "column owner: unknown owner id(s) ['o9'] in row 4" in msg
    # the duplicate key rows come in the same message, not a second pass
    assert "duplicate rows for (kind, price) in rows 2, 3" in msg


def test_a_valid_table_is_typed_and_keeps_its_row_order():
    df = pd.DataFrame(
        {"id": ["x", "y"], "kind": ["a", "b"], "price": ["1.5", "２"], "share": [0, 1]}
    )
    out = PRICES.check(df)
    assert out["price"].tolist() == [1.5, 2.0] and out["price"].dtype == np.float64
    assert str(out["id"].dtype) == "string" and list(out.index) == [0, 1]
    assert "n" not in out.columns  # optional, absent, no default


def test_missing_column_echoes_what_was_found_and_names_the_separator():
    probs = Problems(source="obs.csv")
    wrong = pd.DataFrame({"unit;indicator;value": ["wuhua;gdp;1"]})
    assert not require(wrong, ["unit", "indicator", "value"], probs, "observations")
    msg = str(probs.items[0])
    assert "missing column(s) ['unit', 'indicator', 'value']" in msg
    assert "found ['unit;indicator;value']" in msg
    assert "looks like a ';'-separated file" in msg
    for header, said in (("a\tb", "tab"), ("a，b", "full-width '，'"), ("a；b", "full-width '；'")):
        assert f"looks like a {said}-separated file" in separator_hint([header])
    assert separator_hint(["a", "b", "c"]) == ""


def test_full_width_headers_and_values_are_normalised():
    assert normalise_header("分\u3000值") == "分值"
    assert normalise_header(" ｐｒｉｃｅ ") == "price"
    df = pd.DataFrame(
        {"ｉｄ": ["ｐ１"], "kind\u3000": ["a"], "price": ["１２．５"], "share": ["０.５"]}
    )
    out = PRICES.check(df)
    assert out.loc[0, "price"] == 12.5 and out.loc[0, "share"] == 0.5
    assert (
        out.loc[0, "id"] == "ｐ1"
    )  # text cells: digits and spaces only (names keep their letters)


def test_parse_numbers_tells_empty_text_and_infinite_apart():
    num, empty, text, inf = parse_numbers(pd.Series(["1", "", None, "x", "-inf", "1e400"]))
    assert empty.tolist() == [False, True, True, False, False, False]
    assert text.tolist() == [False, False, False, True, False, False]
    assert inf.tolist() == [False, False, False, False, True, True]
    assert num.iloc[0] == 1.0 and num.iloc[1:].isna().all()


def test_allocation_tables_are_declared_once():
    from kmmodel.catalog import allocation as cat

    assert cat.BID_COLUMNS == inputs.BIDS.dtypes() == inputs.BID_COLUMNS
    assert cat.ITEM_COLUMNS == inputs.ITEMS.dtypes()
    assert list(inputs.BID_COLUMNS) == ["package", "agency", "price", "quality", "plan_months",
                                        "report_months"]  # fmt: skip


def test_bids_list_duplicates_with_the_other_problems():
    bids = km.datasets.load("bids").head(3).astype(object)
    bids.loc[1, ["package", "agency"]] = bids.loc[0, ["package", "agency"]].to_numpy()
    bids.loc[2, "price"] = "inf"
    with pytest.raises(DataError) as exc:
        inputs.check_bids(bids, "bids.csv")
    msg = str(exc.value)
    assert "more than one bid by the same agency for a package in rows 2, 3" in msg
    assert "column price: expected a finite number in row 4, got infinite" in msg


def test_scoring_lists_duplicates_with_unknown_ids_in_one_message():
    scheme = km.load_scheme(km.paths.data_dir() / "schemes" / "kunming_2025.yaml")
    obs = km.datasets.load("observations_2025").head(4).astype(object)
    obs.loc[1, ["unit", "indicator"]] = obs.loc[0, ["unit", "indicator"]].to_numpy()
    obs.loc[3, "indicator"] = "no_such_indicator"
    with pytest.raises(DataError) as exc:
        km.score(scheme, obs, source="obs.csv")
    msg = str(exc.value)
    assert "unknown indicator id(s) ['no_such_indicator'] in row 5" in msg
    assert "duplicate (unit, indicator) observations in rows 2, 3" in msg


def test_scoring_reads_full_width_values_and_headers():
    scheme = km.load_scheme(km.paths.data_dir() / "schemes" / "kunming_2025.yaml")
    obs = km.datasets.load("observations_2025")
    wide = obs.astype({"value": str}).rename(columns={"value": "ｖａｌｕｅ"})
    wide["ｖａｌｕｅ"] = wide["ｖａｌｕｅ"].str.translate(
        {ord(c): ord(c) + 0xFEE0 for c in "0123456789."}
    )
    a, b = km.score(scheme, obs), km.score(scheme, wide)
    pd.testing.assert_frame_equal(a.table, b.table)


# ------------------------------------------------------------------ properties


_CELLS = st.text(alphabet=st.sampled_from(list("=+-@\t\rab12.,\"'五华区　１ ")), max_size=8)


@given(st.lists(_CELLS, min_size=1, max_size=6), st.lists(st.floats(-1e6, 1e6), min_size=6))
def test_neutralised_cells_never_start_a_formula_and_numbers_never_change(cells, numbers):
    from kmmodel.io import FORMULA_TRIGGERS, neutralise

    number = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?%?$")  # -5, +3.25

    df = pd.DataFrame({"text": cells, "number": numbers[: len(cells)]})
    out = neutralise(df)
    pd.testing.assert_series_equal(out["number"], df["number"])
    for before, after in zip(df["text"], out["text"], strict=True):
        if before.startswith(FORMULA_TRIGGERS) and not number.match(before):
            assert after == "'" + before  # one quote, the text otherwise unchanged
        else:
            assert after == before


@given(
    st.lists(st.text(alphabet=st.sampled_from(list("五华区盘龙官渡西山abc123-_ ")), min_size=1,
                     max_size=6).map(str.strip).filter(bool), min_size=1, max_size=5),
    st.sampled_from(["utf-8", "utf-8-sig", "gbk", "gb18030"]),
)  # fmt: skip
def test_any_chinese_text_round_trips_through_each_encoding(tmp_path_factory, names, encoding):
    from kmmodel.io import read_table

    path = tmp_path_factory.mktemp("enc") / "names.csv"
    pd.DataFrame({"名称": names, "unit": [f"u{i}" for i in range(len(names))]}).to_csv(
        path, index=False, encoding=encoding
    )
    got = read_table(path)
    assert got["名称"].tolist() == names and list(got.columns) == ["名称", "unit"]


def test_a_domain_in_words_is_said_once_for_out_of_range_and_not_whole():
    months = Table("t", (Column("months", "int", low=0, high=12, expect="months in 0-12"),))
    with pytest.raises(DataError) as exc:
        months.check(pd.DataFrame({"months": ["3", "13", "2.5", "-1"]}))
    assert (
        str(exc.value)
        == "column months: expected months in 0-12 in rows 3, 4, 5, got [13.0, 2.5, -1.0]"
    )
    with pytest.raises(DataError, match="expected at least one row of t"):
        months.check(pd.DataFrame({"months": []}))
    empty = Table("e", months.columns, allow_empty=True).check(pd.DataFrame({"months": []}))
    assert len(empty) == 0
