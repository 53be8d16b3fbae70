"""Loading and validating schemes: shipped files, date-keyed values, every problem listed."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
import yaml

import kmmodel as km
from kmmodel.errors import SchemeError
from kmmodel.paths import data_dir
from kmmodel.scheme import from_dict

SCHEMES = data_dir() / "schemes"
BROKEN = Path(__file__).parent / "cases" / "broken"


@pytest.fixture(scope="module")
def raw():
    with open(SCHEMES / "kunming_2025.yaml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def facts():
    f = km.datasets.load("seed_facts").set_index("id")["value"]
    return f


def test_shipped_scheme_follows_the_seed():
    s = km.load_scheme(SCHEMES / "kunming_2025.yaml")
    f = facts()
    dims = s.dimensions.set_index("id")
    assert len(dims) == f["dimensions_count"] == 5
    assert dims["points"].sum() == f["total_points"] == s.total
    assert dims.loc["common", "points"] / s.total == pytest.approx(f["common_target_share"])
    assert set(dims["name"]) == {"奋斗目标", "重点目标", "职能目标", "实事目标", "共性目标"}
    ind = s.indicators.set_index("id")
    # the seed's figures are the targets they are cited for
    s24 = km.load_scheme(SCHEMES / "kunming_2025.yaml", year=2024)
    t24 = s24.indicators.set_index("id")["target"]
    assert t24["industrial_va_growth"] == pytest.approx(f["industrial_value_added_growth_2024"])
    assert t24["livelihood_spending_share"] == pytest.approx(f["livelihood_spending_share_2024"])
    assert t24["rural_income_growth"] == pytest.approx(f["rural_income_growth"])
    assert ind.loc["green_power_manufacturing", "target"] == pytest.approx(
        f["yunnan_green_power_share"]
    )
    assert (ind["kind"] == "veto").sum() >= 1
    assert set(ind.loc[ind["kind"] == "veto", "dimension"]) == {"common"}


def test_indicator_table_has_the_contract_columns():
    s = km.examples.scheme("kunming_2025")
    for col in ("id", "name", "dimension", "points", "unit", "direction", "rule", "target"):
        assert col in s.indicators.columns
    assert s.indicators["id"].is_unique
    assert np.isnan(s.indicators.set_index("id").loc["party_conduct", "target"])
    w = s.weights()
    assert w.sum() == pytest.approx(100)
    assert s.weights(share=True).sum() == pytest.approx(1)
    assert "veto_integrity" not in w.index and "innovation_bonus" not in w.index


def test_values_keyed_by_date_resolve_per_year():
    s24 = km.examples.scheme("kunming_2025", year=2024)
    s25 = km.examples.scheme("kunming_2025", year=2025)
    p24 = s24.indicators.set_index("id")["points"]
    p25 = s25.indicators.set_index("id")["points"]
    assert (p24["green_power_manufacturing"], p25["green_power_manufacturing"]) == (6, 7)
    assert (p24["agri_exports_growth"], p25["agri_exports_growth"]) == (8, 7)
    assert s24.indicators.set_index("id").loc["hotline_days", "target"] == 4.0
    assert s25.indicators.set_index("id").loc["hotline_days", "target"] == 3.5
    with pytest.raises(SchemeError, match="covers years"):
        km.examples.scheme("kunming_2025", year=2023)


def test_value_not_yet_in_force_is_reported(raw):
    bad = copy.deepcopy(raw)
    bad["years"] = [2023, 2024, 2025]
    with pytest.raises(SchemeError) as info:
        from_dict(bad, year=2023, source="k.yaml")
    msg = str(info.value)
    assert "indicator industrial_va_growth, target" in msg
    assert "no value in force on 2023-01-01" in msg


def test_mof_scheme_follows_the_ministry_framework():
    s = km.examples.scheme("mof_project_evaluation")
    assert list(s.dimensions["name"]) == ["决策", "过程", "产出", "效益"]
    # 财预〔2020〕10号: 90-100 优, 80-90 良, 60-80 中, below 60 差
    assert [(g.name, g.min) for g in s.spec.grades] == [
        ("优", 90),
        ("良", 80),
        ("中", 60),
        ("差", 0),
    ]
    assert "满意度" in set(s.indicators["group"])


def test_every_problem_is_listed_with_its_location():
    with pytest.raises(SchemeError) as info:
        km.load_scheme(BROKEN / "many_problems.yaml")
    msg = str(info.value)
    assert str(BROKEN / "many_problems.yaml") in msg
    expected = [
        "grades: grade bands must be listed best first",  # P1
        "the last grade band must start at 0",  # P2
        "dimension points add up to 90, expected the scheme total 100",  # P3
        "indicator growth: rule 'ratio' needs a numeric 'target'",  # P4
        "duplicate indicator id 'growth'",  # P5
        "indicator magic: rule: unknown rule type 'magic'",  # P6
        "indicator party: unknown dimension 'commons'",  # P7
        "indicator veto_x: veto indicators carry no points",  # P8
        "veto cap_grade '卓越' is not a grade",  # P9
        "indicator formula_x: rule.expr: unknown function '__import__'",  # P10
        "indicator Bad-Id: id: String should match pattern",  # P11
    ]
    for text in expected:
        assert text in msg, text
    assert len(info.value.problems) >= len(expected)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda r: r.pop("total"), "scheme: total: Field required"),
        (
            lambda r: r.__setitem__("missing", "guess"),
            "missing: Input should be 'zero', 'rescale' or 'error'",
        ),
        (
            lambda r: r["indicators"][0].__setitem__("points", 9),
            "dimension aspirational: indicator points add up to 16",
        ),
        (
            lambda r: r["indicators"][0]["rule"].__setitem__("floor", 0.05),
            "needs the target above the floor",
        ),
        (
            lambda r: r["indicators"][3]["rule"].__setitem__("steps", [[0.8, 1.5]]),
            "step shares must lie in [0, 1]",
        ),
        (
            lambda r: r["indicators"][7]["rule"].__setitem__("levels", {"A": 0.5, "B": 0.9}),
            "best first",
        ),
        (lambda r: r["indicators"][8]["rule"].__setitem__("cap", 7), "deduction cap 7 exceeds"),
        (
            lambda r: r["indicators"][2]["rule"].__setitem__("colour", "red"),
            "Extra inputs are not permitted",
        ),
        (
            lambda r: r.__setitem__("aggregation", {"indicators": "median"}),
            "aggregation.indicators",
        ),
        (
            lambda r: r["dimensions"].append({"id": "key", "name": "x", "points": 0}),
            "duplicate dimension ids ['key']",
        ),
    ],
)
def test_single_problems_are_named(raw, change, fragment):
    bad = copy.deepcopy(raw)
    change(bad)
    with pytest.raises(SchemeError) as info:
        from_dict(bad, source="bad.yaml")
    assert fragment in str(info.value)
    assert str(info.value).startswith("bad.yaml")


def test_file_level_errors(tmp_path):
    with pytest.raises(SchemeError, match="not found"):
        km.load_scheme(tmp_path / "nope.yaml")
    p = tmp_path / "x.json"
    p.write_text("{}")
    with pytest.raises(SchemeError, match="unsupported file type"):
        km.load_scheme(p)
    p = tmp_path / "bad.yaml"
    p.write_text("id: [unclosed\n")
    with pytest.raises(SchemeError, match="line 2"):
        km.load_scheme(p)
    p.write_text("- a\n- b\n")
    with pytest.raises(SchemeError, match="mapping at the top level"):
        km.load_scheme(p)
    p.write_text("!!python/object/apply:os.system ['echo hi']\n")
    with pytest.raises(SchemeError, match="not valid YAML"):
        km.load_scheme(p)
