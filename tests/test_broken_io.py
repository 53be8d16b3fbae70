"""Broken files and output paths, fed on purpose through kmmodel.io and every CLI command.

Each class of broken input gives one clear error of ours (exit code 2) and nothing written:
encodings, wrong separators, blank rows, output paths (parent is a file, an existing folder,
not writable, unsupported type, the same file twice, inside data/), partial writes, and
formula injection in CSV and Excel outputs.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import kmmodel as km
from kmmodel import io as kio
from kmmodel.allocation import inputs
from kmmodel.cli import main
from kmmodel.errors import DataError, Problems

SCHEME = str(km.paths.data_dir() / "schemes" / "kunming_2025.yaml")
ITEMS = km.paths.data_dir() / "evaluation_items.csv"
NAMES = pd.DataFrame(
    {"unit": ["wuhua", "panlong", "gaoxin"], "name_zh": ["五华区", "盘龙区", "高新区"],
     "value": ["1.5", "-2", "３"]}
)  # fmt: skip


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))


# ------------------------------------------------------------------ reading


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_chinese_csv_round_trips_in_every_encoding_excel_and_wps_write(tmp_path, encoding):
    path = tmp_path / f"units_{encoding}.csv"
    NAMES.to_csv(path, index=False, encoding=encoding)
    got = kio.read_table(path)
    assert got["name_zh"].tolist() == ["五华区", "盘龙区", "高新区"]
    assert list(got.columns) == ["unit", "name_zh", "value"]  # no BOM left on the header
    assert got["value"].tolist() == ["1.5", "-2", "3"]  # full-width digit normalised


def test_bytes_that_are_no_known_encoding_are_refused(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"unit,value\n\xff\xfe\xfa\x80\x81,1\n"[::-1] + b"\x80\xff")
    with pytest.raises(DataError, match="UTF-8 .* or GBK/GB18030"):
        kio.read_table(path)


@pytest.mark.parametrize(
    ("sep", "said"),
    [(";", "';'"), ("\t", "tab"), ("，", "full-width '，'"), ("；", "full-width '；'")],
)
def test_a_wrong_separator_is_named(tmp_path, sep, said):
    path = tmp_path / "obs.csv"
    path.write_text(sep.join(["unit", "indicator", "value"]) + "\n" + sep.join("ab1") + "\n")
    with pytest.raises(DataError, match=f"looks like a {said}-separated file"):
        kio.read_table(path)
    assert main(["score", SCHEME, str(path)]) == 2


def test_file_rows_count_blank_lines_as_a_spreadsheet_shows_them(tmp_path):
    items = pd.read_csv(ITEMS, dtype=str)
    text = ITEMS.read_text(encoding="utf-8").splitlines()
    text[3] = text[3].replace(",0.05,", ",abc,")  # file row 4: risk is text
    path = tmp_path / "items.csv"
    path.write_text("\n".join([*text[:3], "", *text[3:]]) + "\n\n\n", encoding="gbk")
    df = kio.read_table(path)
    assert len(df) == len(items) + 1  # the blank line is a row, trailing ones are dropped
    with pytest.raises(DataError) as exc:
        inputs.check_items(df, str(path))
    msg = str(exc.value)
    assert "column risk: expected a number in row 5, got ['abc']" in msg  # after the blank row 4
    assert "column item: missing value in row 4" in msg


def test_xlsx_input_is_read_like_csv(tmp_path):
    path = tmp_path / "units.xlsx"
    NAMES.to_excel(path, index=False)
    got = kio.read_table(path)
    assert got["name_zh"].tolist() == ["五华区", "盘龙区", "高新区"]


def test_unreadable_inputs_name_the_file(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "folder.csv").mkdir()
    (tmp_path / "scores.json").write_text("{}")
    for name, needle in (
        ("empty.csv", "the file is empty"),
        ("folder.csv", "got a folder"),
        ("scores.json", "unsupported file type '.json'"),
        ("none.csv", "file not found"),
    ):
        with pytest.raises(DataError, match=needle) as exc:
            kio.read_table(tmp_path / name)
        assert name in str(exc.value)


# ------------------------------------------------------------------ output paths


def _check(path) -> str:
    probs = Problems()
    assert kio.check_output(path, probs) is None
    return str(probs.items[0])


def test_each_bad_output_path_is_named(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert "afile is a file, not a folder" in _check(afile / "x.csv")
    assert "afile is a file, not a folder" in _check(afile / "deeper" / "x.csv")
    assert "existing folder" in _check(tmp_path)
    assert "unsupported output type '.txt'" in _check(tmp_path / "x.txt")
    assert "cannot write into /proc" in _check("/proc/kmmodel-test/x.csv")
    assert "data/ holds inputs only" in _check(km.paths.data_dir() / "x.csv")
    assert "data/ holds inputs only" in _check(km.paths.data_dir())
    with pytest.raises(DataError, match="the same file is also given to -o"):
        kio.check_outputs({"-o": tmp_path / "a.csv", "--points": tmp_path / "a.csv"})
    assert kio.check_output(tmp_path / "new" / "sub" / "x.csv", Problems()) is not None
    assert _files(tmp_path) == ["afile"]  # checking creates nothing


@pytest.mark.parametrize(
    "argv",
    [
        ["score", SCHEME, "observations_2025", "-o", "{out}"],
        ["score", SCHEME, "observations_2025", "--points", "{out}"],
        ["allocate", str(ITEMS), "-o", "{out}"],
        ["correct", "-o", "{out}"],
        ["appraise", "-o", "{out}"],
    ],
    ids=["score", "score-points", "allocate", "correct", "appraise"],
)
@pytest.mark.parametrize("bad", ["parent_is_file", "existing_folder", "unwritable", "data"])
def test_every_command_checks_its_output_before_any_work(tmp_path, capsys, argv, bad):
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = {
        "parent_is_file": afile / "x.csv",
        "existing_folder": tmp_path,
        "unwritable": Path("/proc/kmmodel-test/x.csv"),
        "data": km.paths.data_dir() / "x.csv",
    }[bad]
    before = _files(km.paths.data_dir())
    assert main([a.replace("{out}", str(out)) for a in argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""  # refused before any work: nothing computed or printed
    assert "error:" in captured.err and str(out) in captured.err
    assert _files(tmp_path) == ["afile"] and _files(km.paths.data_dir()) == before


def test_report_refuses_data_folder(capsys):
    before = _files(km.paths.data_dir())
    assert main(["report", "--only", "01", "-o", str(km.paths.data_dir())]) == 2
    assert "data/ holds inputs only" in capsys.readouterr().err
    assert main(["report", "--only", "01", "-o", str(km.paths.data_dir() / "sub")]) == 2
    assert _files(km.paths.data_dir()) == before


def test_score_writes_both_outputs_or_none(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    table = tmp_path / "table.csv"
    args = ["score", SCHEME, "observations_2025", "-o", str(table)]
    assert main([*args, "--points", str(afile / "p.csv")]) == 2
    assert not table.exists()  # was written before the failure, once
    assert main([*args, "--points", str(tmp_path / "p.xlsx")]) == 0
    assert table.is_file() and (tmp_path / "p.xlsx").is_file()


def test_a_failing_write_leaves_no_output_and_no_temporary_file(tmp_path, monkeypatch):
    real = kio._temp_beside
    calls = []

    def flaky(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(kio, "_temp_beside", flaky)
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(DataError, match="No space left on device.*nothing was written"):
        kio.write_outputs({tmp_path / "a.csv": frame, tmp_path / "b.csv": frame})
    assert _files(tmp_path) == []


# ------------------------------------------------------------------ formula injection


def test_csv_cells_that_would_run_as_formulas_get_a_quote_and_numbers_stay_numbers():
    df = pd.DataFrame(
        {
            "unit": ['=HYPERLINK("http://x.example/?","wuhua")', "+1+2", "-cmd", "@SUM(A1)",
                     "\tx", "\rx", "-5", "+3.25", "wuhua", None],
            "value": [-1.5, 2.0, -3.0, 0.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],
        }
    )  # fmt: skip
    text = kio.csv_bytes(df).decode("utf-8")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert back["unit"].tolist() == [
        """'=HYPERLINK("http://x.example/?","wuhua")""", "'+1+2", "'-cmd", "'@SUM(A1)",
        "'\tx", "'\nx", "-5", "+3.25", "wuhua", "",
    ]  # fmt: skip
    assert back["value"].tolist()[:3] == ["-1.5", "2.0", "-3.0"]  # a negative number is a number
    assert not text.startswith("\ufeff")  # no BOM yet (one switch: kio.CSV_BOM)
    assert kio.csv_bytes(df, bom=True).startswith(b"\xef\xbb\xbf")


def test_allocate_neutralises_a_hostile_item_id_in_its_csv(tmp_path, capsys):
    items = pd.read_csv(ITEMS, dtype=str)
    items.loc[0, "item"] = '=HYPERLINK("http://x.example/?","E01")'
    src = tmp_path / "items.csv"
    items.to_csv(src, index=False)
    out = tmp_path / "alloc.csv"
    assert main(["allocate", str(src), "-o", str(out)]) == 0
    got = pd.read_csv(out, dtype=str)
    assert """'=HYPERLINK("http://x.example/?","E01")""" in got["item"].tolist()
    assert pd.to_numeric(got["allocation"]).notna().all()


def test_xlsx_output_is_a_real_workbook_with_text_never_a_formula(tmp_path):
    df = pd.DataFrame({"unit": ["=1+1", "五华区"], "value": [-1.5, 2.0]})
    data = kio.xlsx_bytes(df)
    assert zipfile.is_zipfile(io.BytesIO(data)) and data == kio.xlsx_bytes(df)  # byte-stable
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [c.value for c in ws[1]] == ["unit", "value"]
    assert ws["A2"].value == "=1+1" and ws["A2"].data_type == "s"
    assert ws["B2"].value == -1.5 and ws["B2"].data_type == "n"


def test_write_excel_writes_an_indicator_name_beginning_with_equals_as_text(tmp_path):
    from kmmodel.scheme.excel import write_excel

    text = Path(SCHEME).read_text(encoding="utf-8")
    first = km.load_scheme(SCHEME).indicators["name"].iloc[0]
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(text.replace(f"name: {first}", "name: '=HYPERLINK(\"x\")'", 1), "utf-8")
    scheme = km.load_scheme(hostile)
    assert scheme.indicators["name"].iloc[0] == '=HYPERLINK("x")'
    path = write_excel(scheme, tmp_path / "scheme.xlsx")
    ws = openpyxl.load_workbook(path)["指标"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")']
    assert len(cells) == 1 and cells[0].data_type == "s"


def test_an_xlsx_zip_bomb_is_refused_from_its_declared_size(tmp_path, monkeypatch):
    path = tmp_path / "bomb.xlsx"
    NAMES.to_excel(path, index=False)
    monkeypatch.setattr(kio, "MAX_XLSX_UNPACKED", 1000)  # the real file unpacks to ~5 kB
    with pytest.raises(DataError, match="unpacks to .* above the 0 MB limit"):
        kio.read_table(path)
    (tmp_path / "fake.xlsx").write_text("not a zip")
    with pytest.raises(DataError, match="not a readable .xlsx"):
        kio.read_table(tmp_path / "fake.xlsx")


def test_a_header_that_is_not_on_the_first_line_is_refused(tmp_path):
    path = tmp_path / "late.csv"
    path.write_text("\n\nunit,value\nwuhua,1\n")
    with pytest.raises(DataError, match="the first line is empty; the header must be row 1"):
        kio.read_table(path)


def test_number_columns_are_inferred_only_when_every_cell_is_a_number(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text("unit,n,x,big,code\nwuhua,1,1.5,1e20,007\npanlong,２,,3,abc\n", "utf-8")
    got = kio.read_table(path, text=("unit", "code"))
    assert got["n"].tolist() == [1, 2] and got["n"].dtype == "int64"  # full-width 2 read as 2
    assert got["x"].dtype == "float64" and got["big"].dtype == "float64"
    assert got["code"].tolist() == ["007", "abc"]
