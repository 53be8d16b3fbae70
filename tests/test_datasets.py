"""Shipped data: registry, loading with dtypes, validation errors, regeneration."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kmmodel as km
from kmmodel import datasets
from kmmodel.datasets import Dataset, coerce
from kmmodel.errors import DataError

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_39f282d34b57608e.txt"


def test_every_registered_dataset_loads_with_declared_dtypes():
    for name in km.datasets.names():
        df = km.datasets.load(name)
        ds = datasets.registry()[name]
        assert list(df.columns) == list(ds.columns), name
        assert len(df) > 0, name


def test_units_are_the_14_divisions_plus_zones():
    units = km.datasets.load("units")
    county = units[units["group"] == "county_level"]
    assert len(county) == 14
    for zh in [
        "五华区",
        "盘龙区",
        "官渡区",
        "西山区",
        "东川区",
        "呈贡区",
        "晋宁区",
        "安宁市",
        "富民县",
        "宜良县",
        "石林彝族自治县",
        "嵩明县",
        "禄劝彝族苗族自治县",
        "寻甸回族彝族自治县",
    ]:
        assert zh in set(county["name_zh"])
    assert "gaoxin" in set(units["unit"])
    assert units["unit"].is_unique


def test_seed_facts_quote_the_seed_verbatim():
    facts = km.datasets.load("seed_facts").set_index("id")
    # provenance: figures as printed in the seed text
    assert facts.loc["total_points", "value"] == 100
    assert facts.loc["common_target_share", "value"] == pytest.approx(0.20)
    assert facts.loc["evaluation_budget_2025", "value"] == 550_000
    assert facts.loc["evaluation_items_2025", "value"] == 8
    assert facts.loc["hitech_zone_service_budget_2025", "value"] == 480_000
    assert facts.loc["livelihood_spending_share_2024", "value"] == pytest.approx(0.761)
    assert facts.loc["industrial_value_added_growth_2024", "value"] == pytest.approx(0.033)
    assert facts.loc["rural_income_growth", "value"] == pytest.approx(0.067)
    if not SEED.is_file():
        pytest.skip("seed text not beside the checkout")
    text = SEED.read_text(encoding="utf-8")
    missing = [i for i, q in facts["quote_zh"].items() if q not in text]
    assert not missing


@pytest.mark.parametrize(
    "name", [n for n in datasets.names() if datasets.registry()[n].generator is not None]
)
def test_shipped_synthetic_file_equals_its_generator(name):
    assert datasets.generate(name) == datasets.path(name).read_bytes()


def test_every_dataset_is_in_the_data_dictionary():
    readme = (km.paths.data_dir() / "README.md").read_text(encoding="utf-8")
    for ds in datasets.registry().values():
        assert f"`{ds.file}`" in readme, f"{ds.file} missing from data/README.md"
        assert ds.provenance in readme


def test_unknown_dataset_names_the_choices():
    with pytest.raises(DataError, match="unknown data set 'nope'.*units"):
        km.datasets.load("nope")


def test_missing_file_is_a_data_error(tmp_path, monkeypatch):
    (tmp_path / "data").mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    monkeypatch.setenv("KMMODEL_ROOT", str(tmp_path))
    with pytest.raises(DataError, match=r"units.csv: data file is missing"):
        km.datasets.load("units")


def test_broken_file_lists_every_problem(tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (data / "units.csv").write_text(
        "unit,name_zh,name_en,kind,group\n"
        "wuhua,五华区,Wuhua,district,county_level\n"
        "wuhua,五华区,Wuhua,district,county_level\n"
        "Bad Id,x,y,province,county_level\n"
        ",z,w,county,\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KMMODEL_ROOT", str(tmp_path))
    with pytest.raises(DataError) as exc:
        km.datasets.load("units")
    msg = str(exc.value)
    assert "units.csv" in msg
    assert "column unit: empty values in row 5" in msg
    assert "column group: empty values in row 5" in msg
    # all problems in one message, not only the first
    assert len(exc.value.problems) == 2


def test_coerce_reports_non_numbers_with_rows():
    ds = Dataset("t", "t.csv", "public", "test", {"a": "float64", "n": "int64"})
    raw = pd.DataFrame({"a": ["1.5", "x", "3"], "n": ["1", "2.5", "3"]})
    with pytest.raises(DataError) as exc:
        coerce(raw, ds, "t.csv")
    msg = str(exc.value)
    assert "column a: expected a number in row 3" in msg
    assert "column n: expected whole numbers in row 3" in msg


def test_missing_and_extra_columns_are_named():
    ds = Dataset("t", "t.csv", "public", "test", {"a": "float64", "b": "string"})
    with pytest.raises(
        DataError, match=r"missing column\(s\) \['b'\].*\n.*unexpected column\(s\) \['c'\]"
    ):
        coerce(pd.DataFrame({"a": ["1"], "c": ["2"]}), ds, "t.csv")


def test_check_hook_adds_domain_problems():
    units = km.datasets.load("units").astype(str)
    units.loc[0, "kind"] = "province"
    with pytest.raises(DataError, match=r"column kind: expected one of"):
        coerce(units, datasets.registry()["units"], "units.csv")


def test_project_observations_cover_the_evaluation_items():
    items = set(km.datasets.load("evaluation_items")["item"])
    observed = set(km.datasets.load("observations_projects_2025")["unit"])
    assert observed == items


def test_the_registry_lists_every_catalog_module():
    import importlib
    import pkgutil

    import kmmodel.catalog as pkg

    declared = {
        ds.name
        for mod in pkgutil.iter_modules(pkg.__path__)
        if not mod.name.startswith("_")
        for ds in importlib.import_module(f"kmmodel.catalog.{mod.name}").DATASETS
    }
    assert declared == set(datasets.names())
