"""What a spreadsheet cell may hold: text that stays text.

A CSV or XLSX cell whose text starts with `=`, `+`, `-` or `@` (or a tab or carriage
return before one) is a formula to Excel and LibreOffice: a branch name from a site file
such as `=HYPERLINK("http://…")` would become a live link in the clerk's sheet. Every
text value an export writes passes through `text_cell` (api/exports.py), whatever its
source: site files, notes, names, the period.
"""

from __future__ import annotations

from typing import Any

#: the first characters that make a spreadsheet read a cell as a formula, full-width
#: forms too (NFKC makes them the ASCII ones, and some spreadsheets do)
FORMULA_STARTS = frozenset("=+-@\t\r\n＝＋－＠")
#: what keeps such a text a text: the apostrophe spreadsheets themselves use for it
QUOTE = "'"


def text_cell(value: Any) -> Any:
    """`value` unchanged unless it is text a spreadsheet would read as a formula; then
    the same text behind an apostrophe. Numbers, dates and None stay what they are."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return QUOTE + value
    return value


def text_cells(values: list[Any]) -> list[Any]:
    return [text_cell(v) for v in values]
