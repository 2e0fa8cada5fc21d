"""An assessment as the clerk's files (every text in them passed through api/cells.py, so
no name from a site file becomes a formula): CSV and XLSX with one line on top saying when it
was computed, for which period, how many findings still await review and so whether the
figures are final (最终) or provisional (暂定), then one row per branch under headers in
both languages (`得分 score`: the English half is the JSON field's name, so a program can
still find its column)."""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from api.cells import text_cells
from api.schemas import AssessmentOut, AssessmentRow
from rules.assessment import OUTCOME_NAMES
from rules.wording import utc_text

HEADERS: dict[str, str] = {
    "policy": "政策", "period": "期间", "branch": "网点", "name": "名称", "region": "区域",
    "score": "得分", "checks": "有效检查", "incomplete_checks": "不完整检查",
    "coverage": "覆盖率", "missing_days": "缺失营业日", "score_arithmetic": "得分计算",
    "rank": "排名",
    "region_rank": "区域排名", "outcome": "结果", "yuan": "金额(元)", "rule": "规则",
    "recheck": "复查", "incident_yuan": "罚款(元)", "pending": "待复核",
}  # fmt: skip
COLUMNS = ["policy", "period", *AssessmentRow.model_fields]
#: the assessments page's table: the file's columns less the two its heading states once
PAGE_COLUMNS = [(c, f"{HEADERS[c]} {c}") for c in COLUMNS if c not in ("policy", "period")]
#: Excel number formats: yuan with two decimals, scores with one, coverage as a percentage
FORMATS = {
    "score": "0.0", "yuan": "#,##0.00", "incident_yuan": "#,##0.00", "coverage": "0.0%",
}  # fmt: skip
NUMERIC = {*FORMATS, "checks", "incomplete_checks", "rank", "region_rank", "pending"}
WIDEST = 60


def status_text(report: AssessmentOut) -> str:
    if not report.provisional:
        return "最终 final"
    return (
        f"暂定 provisional: {report.pending} 项待复核，结果可能变化 · "
        f"{report.pending} finding(s) here await review (ranks count the whole province); "
        "the figures may change"
    )


def top_line(report: AssessmentOut) -> list[Any]:
    period = f"{report.period.label} ({report.period.kind})" if report.period else "—"
    generated = utc_text(report.generated_at) if report.generated_at else "—"
    return text_cells([
        "生成时间 generated at", generated, "政策 policy", report.policy_name,
        "期间 period", period, "待复核 pending", report.pending,
        "依据 basis", status_text(report),
    ])  # fmt: skip


def header_row() -> list[str]:
    return [f"{HEADERS[c]} {c}" for c in COLUMNS]


def rows(report: AssessmentOut) -> list[list[Any]]:
    label = report.period.label if report.period else ""
    out = []
    for row in report.branches:
        values = {"policy": report.policy_name, "period": label, **row.model_dump()}
        values["outcome"] = OUTCOME_NAMES.get(row.outcome, row.outcome)
        values["recheck"] = "是 yes" if row.recheck else "否 no"
        out.append(text_cells([values[c] for c in COLUMNS]))
    return out


def to_csv(report: AssessmentOut) -> bytes:
    buffer = io.StringIO()
    # CRLF ends a row (RFC 4180): the csv module quotes a field holding a character of the
    # row's end, so a carriage return inside a name cannot start a row of its own
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows([top_line(report), header_row(), *rows(report)])
    # a BOM so that Excel opens the Chinese texts as UTF-8
    return ("\ufeff" + buffer.getvalue()).encode()


def _width(value: Any) -> int:
    """Characters as Excel lays them out: a CJK character takes two."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def to_xlsx(report: AssessmentOut) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "assessment"
    sheet.append(top_line(report))
    sheet.append(header_row())
    body = rows(report)
    for values in body:
        sheet.append(values)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    if report.provisional:
        sheet.cell(1, len(top_line(report))).fill = PatternFill("solid", fgColor="FFF3DC")
    for cell in sheet[2]:
        cell.font = bold
        cell.fill = PatternFill("solid", fgColor="E3EDF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        widest = max([_width(header_row()[index - 1]), *(_width(v[index - 1]) for v in body)])
        sheet.column_dimensions[letter].width = min(widest + 2, WIDEST)
        for (cell,) in sheet.iter_rows(min_row=3, min_col=index, max_col=index):
            if column in FORMATS:
                cell.number_format = FORMATS[column]
            if column in ("rule", "score_arithmetic"):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A3"  # the top line and the headers stay in view
    if body:
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(COLUMNS))}{len(body) + 2}"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
