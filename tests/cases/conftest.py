"""Collect YAML scoring cases (``tests/cases/*.yaml``) as pytest items.

An analyst adds a case without writing Python, in the spirit of OpenFisca's YAML tests::

    - name: what the case shows
      scheme: kunming_2025        # a shipped scheme, a path relative to this folder, or a mapping
      year: 2025                  # optional
      missing: zero               # optional policy override
      absolute_error_margin: 0.01 # optional, default 1e-6
      input:                      # unit -> indicator -> value
        wuhua: {livelihood_spending_share: 0.761, veto_integrity: 1}
      output:                     # unit -> indicator id (points) or total / grade / rank /
        wuhua:                    #          vetoed / bonus / a dimension id
          livelihood_spending_share: 8
          grade: 良好
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml


def pytest_collect_file(parent, file_path: Path):
    # every YAML file directly in tests/cases/ (broken scheme fixtures live in broken/)
    if file_path.suffix in (".yaml", ".yml") and file_path.parent == Path(__file__).parent:
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    def collect(self):
        with open(self.path, encoding="utf-8") as fh:
            cases = yaml.safe_load(fh)
        if isinstance(cases, dict):
            cases = [cases]
        for k, case in enumerate(cases or []):
            name = case.get("name", f"case {k + 1}") if isinstance(case, dict) else f"case {k + 1}"
            yield CaseItem.from_parent(self, name=name, case=case)


class CaseError(AssertionError):
    pass


class CaseItem(pytest.Item):
    def __init__(self, *, case, **kw):
        super().__init__(**kw)
        self.case = case

    def _scheme(self):
        import kmmodel as km
        from kmmodel.scheme import from_dict

        spec = self.case["scheme"]
        year = self.case.get("year")
        if isinstance(spec, dict):
            return from_dict(spec, year=year, source=f"{self.path.name}:{self.name}")
        path = self.path.parent / spec
        if path.suffix in (".yaml", ".yml", ".xlsx") and path.is_file():
            return km.load_scheme(path, year=year)
        return km.examples.scheme(spec, year=year)

    def runtest(self):
        import kmmodel as km

        case = self.case
        for key in ("scheme", "input", "output"):
            if key not in case:
                raise CaseError(f"case lacks '{key}'")
        scheme = self._scheme()
        rows = [
            (unit, ind, val)
            for unit, values in case["input"].items()
            for ind, val in (values or {}).items()
        ]
        obs = pd.DataFrame(rows, columns=["unit", "indicator", "value"])
        res = km.score(scheme, obs, missing=case.get("missing"))
        table = res.table.set_index("unit")
        points = res.points.set_index(["unit", "indicator"])["points"]
        margin = float(case.get("absolute_error_margin", 1e-6))
        wrong = []
        for unit, expected in case["output"].items():
            for key, want in expected.items():
                if key in table.columns:
                    got = table.loc[unit, key]
                else:
                    got = points.loc[(unit, key)]
                got = got.item() if hasattr(got, "item") else got
                if isinstance(want, (int, float)) and not isinstance(want, bool):
                    ok = abs(float(got) - want) <= margin
                else:
                    ok = got == want
                if not ok:
                    wrong.append(f"{unit}.{key}: expected {want!r}, got {got!r}")
        if wrong:
            raise CaseError("; ".join(wrong))

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CaseError):
            return f"{self.path.name} :: {self.name}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"case: {self.name}"
