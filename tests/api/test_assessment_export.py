"""The clerk's files: pending findings counted in the JSON, the page, the CSV and the
XLSX, a top line that says final or provisional, and headers and outcomes in both
languages (api/exports.py)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from tests.support.api import running_api

# the fixture's pending findings per branch (tests/support/api.py FINDINGS), all in 2026-11
PENDING = {"JS-HA-001": 3, "JS-HA-002": 1, "JS-SZ-001": 1, "JS-SZ-002": 0}
QUERY = "policy=B&period=2026-S3"


@pytest.fixture
def api(db_url, tmp_path):
    with running_api(db_url, tmp_path / "evidence") as api:
        yield api


def _csv(api, who: str = "admin") -> list[list[str]]:
    response = api.get(who, f"/api/v1/assessments.csv?{QUERY}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _column(header: list[str], field: str) -> int:
    return [h.split()[-1] for h in header].index(field)


def test_json_counts_pending_findings_per_branch_and_says_provisional(api):
    report = api.get("assessment", f"/api/v1/assessments?{QUERY}").json()
    assert {r["branch"]: r["pending"] for r in report["branches"]} == PENDING
    assert report["pending"] == 5 and report["provisional"] is True
    assert report["basis"] == "final"  # the field names of before stay
    generated = datetime.fromisoformat(report["generated_at"])
    assert abs(datetime.now(UTC) - generated) < timedelta(minutes=1)
    # a branch sees its own count, and that ranks elsewhere may still move
    own = api.get("branch", f"/api/v1/assessments?{QUERY}").json()
    assert [(r["branch"], r["pending"]) for r in own["branches"]] == [(api.own, 3)]
    assert own["pending"] == 3 and own["provisional"] is True


def test_reviewing_every_pending_finding_makes_the_figures_final(api):
    while fid := api.finding(api.own, "pending") or api.finding(api.other, "pending"):
        answer = api.post("admin", f"/api/v1/findings/{fid}/review", json={"decision": "dismiss"})
        assert answer.status_code == 200, answer.text
    for branch in ("JS-HA-002", "JS-SZ-002"):
        while fid := api.finding(branch, "pending"):
            api.post("admin", f"/api/v1/findings/{fid}/review", json={"decision": "dismiss"})
    report = api.get("admin", f"/api/v1/assessments?{QUERY}").json()
    assert report["pending"] == 0 and report["provisional"] is False
    top = _csv(api)[0]
    assert top[top.index("依据 basis") + 1] == "最终 final"
    page = api.get("admin", f"/assessments?{QUERY}").text
    assert "最终 Final" in page and "暂定 Provisional" not in page


def test_csv_has_a_top_line_bilingual_headers_and_a_pending_column(api):
    top, header, *rows = _csv(api)
    fields = dict(zip(top[::2], top[1::2], strict=True))
    assert fields["期间 period"] == "2026-S3 (stage)"
    assert fields["待复核 pending"] == "5"
    assert fields["依据 basis"].startswith("暂定 provisional: 5 项待复核")
    assert fields["生成时间 generated at"].endswith(" UTC")
    assert "得分 score" in header and "待复核 pending" in header and "网点 branch" in header
    assert all(len(h.split()) >= 2 for h in header)  # every header in both languages
    branch, pending, outcome = (_column(header, f) for f in ("branch", "pending", "outcome"))
    assert {r[branch]: int(r[pending]) for r in rows} == PENDING
    outcomes = {r[outcome] for r in rows}
    assert outcomes and all(o.split()[0] != o.split()[-1] for o in outcomes)  # 中文 code
    assert outcomes <= {"奖励 reward", "免于考核 exempt", "无奖惩 none", "罚款 penalty"}


def test_xlsx_freezes_the_header_sizes_columns_and_formats_numbers(api):
    response = api.get("admin", f"/api/v1/assessments.xlsx?{QUERY}")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.freeze_panes == "A3"  # the top line and the headers stay in view
    top = [c.value for c in sheet[1]]
    assert top[top.index("待复核 pending") + 1] == 5
    assert str(top[top.index("依据 basis") + 1]).startswith("暂定 provisional")
    header = [c.value for c in sheet[2]]
    assert header == [row for row in _csv(api)[1]]  # the same headers as the CSV
    widths = {
        h.split()[-1]: sheet.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
        for i, h in enumerate(header)
    }
    assert all(w and w >= len(h.split()[-1]) for h, w in widths.items())
    assert widths["rule"] > widths["checks"]  # sized to the content, not Excel's default
    rows = list(sheet.iter_rows(min_row=3))
    assert len(rows) == len(PENDING)
    yuan, score, pending, branch = (
        _column(header, f) for f in ("yuan", "score", "pending", "branch")
    )
    for row in rows:
        assert row[yuan].number_format == "#,##0.00"
        assert row[score].number_format == "0.0"
        assert all(isinstance(row[c].value, int | float) for c in (yuan, score))  # numbers
    assert {r[branch].value: r[pending].value for r in rows} == PENDING


def test_the_assessments_page_shows_pending_and_bilingual_outcomes(api):
    page = api.get("assessment", f"/assessments?{QUERY}").text
    assert "暂定 Provisional" in page and "本期间尚有 5 项发现待复核" in page
    assert '<th data-field="pending" class="num">待复核 pending</th>' in page
    assert page.count('class="num pending-count"') == len(PENDING)
    assert "免于考核 exempt" in page or "奖励 reward" in page
    assert "(Asia/Shanghai)" in page  # when it was computed, on the branches' clock


def test_policy_b_exports_a_month_with_its_fines_and_the_page_shows_the_files_columns(api):
    """Fines are monthly: the clerk's month under Policy B is exported, each branch's
    incident fines in it, and the page shows the same columns and figures as the file."""
    response = api.get("admin", "/api/v1/assessments.csv?policy=B&period=2026-11")
    assert response.status_code == 200, response.text
    top, header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    fields = dict(zip(top[::2], top[1::2], strict=True))
    assert fields["期间 period"] == "2026-11 (month)" and fields["待复核 pending"] == "5"
    branch, fined, rule = (_column(header, f) for f in ("branch", "incident_yuan", "rule"))
    fines = {r[branch]: float(r[fined]) for r in rows}
    confirmed = api.get("admin", "/api/v1/findings?status=confirmed&per_page=200").json()["items"]
    expected: dict[str, float] = {}
    for f in confirmed:  # each confirmed finding's own fine, summed per branch
        detail = api.get("admin", f"/api/v1/findings/{f['id']}").json()
        expected[f["branch"]] = expected.get(f["branch"], 0.0) + (detail["fine_yuan"] or 0.0)
    assert {b: y for b, y in fines.items() if y} == expected and sum(expected.values()) > 0
    assert all(r[rule].startswith("月度只计罚款") for r in rows)  # Chinese first
    page = api.get("admin", "/assessments?policy=B&period=2026-11").text
    headers = re.findall(r'<th data-field="([a-z_]+)"[^>]*>([^<]+)</th>', page)
    assert [text for _, text in headers] == header[2:]  # policy and period head the page
    for b, yuan in fines.items():
        row = page[page.index(f'<tr data-branch="{b}">') :]
        cell = re.search(r'data-field="incident_yuan">([^<]+)<', row)
        assert cell and cell.group(1) == f"{yuan:.2f}"
