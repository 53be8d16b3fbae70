"""Excel indicator tables: the shipped workbook, a round trip, malformed workbooks."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook

import kmmodel as km
from kmmodel.errors import SchemeError
from kmmodel.paths import data_dir
from kmmodel.scheme.excel import parse_rule, write_excel

XLSX = data_dir() / "schemes" / "mof_project_evaluation.xlsx"
COMPARE = [
    "id",
    "name",
    "dimension",
    "points",
    "unit",
    "direction",
    "rule",
    "target",
    "floor",
    "kind",
    "group",
]


def test_shipped_workbook_equals_the_yaml_scheme():
    a = km.examples.scheme("mof_project_evaluation")
    b = km.load_scheme(XLSX)
    pd.testing.assert_frame_equal(a.indicators[COMPARE], b.indicators[COMPARE])
    pd.testing.assert_frame_equal(a.dimensions, b.dimensions)
    assert b.grade_names == ["优", "良", "中", "差"]
    obs = km.datasets.load("observations_projects_2025")
    pd.testing.assert_frame_equal(km.score(a, obs).table, km.score(b, obs).table)


def test_round_trip_of_the_unit_scheme(tmp_path):
    a = km.examples.scheme("kunming_2025")
    b = km.load_scheme(write_excel(a, tmp_path / "k.xlsx"))
    pd.testing.assert_frame_equal(a.indicators[COMPARE], b.indicators[COMPARE])
    assert b.spec.excellent_share_cap == a.spec.excellent_share_cap


def _book(
    path, rows, header=("一级指标", "二级指标", "三级指标", "分值", "评分标准", "目标值", "规则")
):
    wb = Workbook()
    ws = wb.active
    ws.title = "指标"
    ws.append(list(header))
    for r in rows:
        ws.append(list(r))
    wb.save(path)
    return path


def test_minimal_common_layout_reads_with_defaults(tmp_path):
    p = _book(
        tmp_path / "plain.xlsx",
        [
            (
                "决策",
                "项目立项",
                "立项依据充分性",
                40,
                "依据充分得满分",
                None,
                "grade A=1 B=0.8 C=0.5 D=0",
            ),
            (None, "绩效目标", "目标完成率", 60, "按完成比例得分", "95%", None),
        ],
    )
    s = km.load_scheme(p)
    ind = s.indicators.set_index("id")
    assert list(ind.index) == ["i01", "i02"]
    assert ind.loc["i02", "rule"] == "ratio" and ind.loc["i02", "target"] == pytest.approx(0.95)
    assert s.dimensions["points"].tolist() == [100.0] and s.total == 100


def test_malformed_rows_are_all_named_by_excel_row(tmp_path):
    p = _book(
        tmp_path / "bad.xlsx",
        [
            ("决策", "", "立项依据", "ten", "", None, "grade A=1"),  # row 2: points not a number
            ("", "", "", 10, "", "abc", ""),  # row 3: no name, bad target
            ("", "", "完成率", 10, "", None, "ratio floor"),  # row 4: bad rule text
            ("", "", "满意度", 10, "", None, "magic x=1"),  # row 5: unknown rule type (pydantic)
        ],
    )
    with pytest.raises(SchemeError) as info:
        km.load_scheme(p)
    msg = str(info.value)
    assert "Excel row 2: 分值 must be a number, got 'ten'" in msg
    assert "Excel row 3: 三级指标 (indicator name) is empty" in msg
    assert "Excel row 3: 目标值 must be a number or empty, got 'abc'" in msg
    assert "Excel row 4: 规则: expected key=value, got 'floor'" in msg
    assert "Excel row 3: 规则 is empty" in msg
    assert len(info.value.problems) == 5


def test_rule_and_point_errors_carry_the_excel_row(tmp_path):
    p = _book(
        tmp_path / "bad2.xlsx",
        [
            ("决策", "", "立项依据", 50, "", None, "grade A=1 B=0.5"),
            ("过程", "", "满意度", 50, "", None, "magic x=1"),
        ],
    )
    with pytest.raises(
        SchemeError, match=r"Excel row 3 \(indicator i02\): rule: unknown rule type 'magic'"
    ):
        km.load_scheme(p)


def test_missing_columns_and_broken_files(tmp_path):
    p = _book(tmp_path / "cols.xlsx", [("决策", 1)], header=("一级指标", "分数"))
    with pytest.raises(SchemeError, match=r"lacks column\(s\) \['三级指标', '分值'\]"):
        km.load_scheme(p)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"this is not a workbook")
    with pytest.raises(SchemeError, match="not a readable .xlsx"):
        km.load_scheme(junk)


def test_parse_rule_forms():
    assert parse_rule("steps 0.8:0.5 0.9:1") == {"type": "steps", "steps": [[0.8, 0.5], [0.9, 1.0]]}
    assert parse_rule("deduction per=1 cap=5") == {"type": "deduction", "per": 1.0, "cap": 5.0}
    assert parse_rule("formula clip(value/target, 0, 1) floor=60") == {
        "type": "formula",
        "expr": "clip(value/target, 0, 1)",
        "floor": 60.0,
    }
    assert parse_rule("veto action=cap_grade") == {"type": "veto", "action": "cap_grade"}
    with pytest.raises(ValueError):
        parse_rule("steps 0.8")
