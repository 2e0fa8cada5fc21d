"""The CJK web font: it covers GB 2312 level 1 (what a bank types: branch and people's
names, notes) and every Chinese character the pages, the report, the notice and the
checklist show, it is of a sensible size, licensed, served beside the pages and inlined in
the self-contained documents cut down to their own characters, so that a printed notice
or report with the bank's branch names has no missing glyph (pipeline/report/webfont.py,
tools/subset_cjk_font.py)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipeline.fonts import FONT_FILES, LICENCE_FILE
from pipeline.report import html, notice
from pipeline.report.webfont import FAMILY, gb2312_level_1
from rules.assessment import OUTCOME_NAMES
from rules.checklist import load_checklist
from rules.wording import PURPOSE_NAMES
from tests.support.api import running_api

REPO = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u2e80-\u2fff\u3001-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff5e]")


def _shown_texts() -> str:
    """What a reader sees in Chinese: templates, scripts, styles, the API's and the
    documents' strings, the checklist's names, the outcome and zone names, and the demo's
    and the test data's branch names."""
    files = [
        *(REPO / "api" / "templates").glob("*.html"),
        *(REPO / "api" / "static").glob("*.js"),
        *(REPO / "api").rglob("*.py"),
        *(REPO / "pipeline" / "report").glob("*.py"),
        *(REPO / "sample_videos").glob("*.yaml"),  # the demo branch's name
        REPO / "tests" / "support" / "api.py",  # the branch names the page tests show
    ]
    checklist = load_checklist()
    names = [f"{i.name_zh} {i.name_en}" for i in checklist.items]
    return "\n".join(
        [*(p.read_text(encoding="utf-8") for p in files), *names, *OUTCOME_NAMES.values(),
         *PURPOSE_NAMES.values()]
    )  # fmt: skip


def _cmap(path: Path | io.BytesIO) -> set[int]:
    from fontTools.ttLib import TTFont

    return set(TTFont(path).getBestCmap())


@pytest.mark.parametrize("weight", sorted(FONT_FILES))
def test_the_font_covers_every_chinese_character_shown(weight):
    wanted = set(CJK.findall(_shown_texts()))
    assert len(wanted) > 200  # the scan found the texts
    have = _cmap(FONT_FILES[weight])
    missing = sorted(ch for ch in wanted if ord(ch) not in have)
    assert not missing, f"run tools/subset_cjk_font.py: {''.join(missing)}"
    assert all(ord(d) in have for d in "0123456789")


@pytest.mark.parametrize("weight", sorted(FONT_FILES))
def test_the_font_covers_gb2312_level_1(weight):
    level_1 = gb2312_level_1()
    assert len(level_1) == 3755
    have = _cmap(FONT_FILES[weight])
    missing = sorted(ch for ch in level_1 if ord(ch) not in have)
    assert not missing, "".join(missing)
    assert all(ord(ch) in have for ch in "王主管南京营业部盐城亭湖办助锨谰耪毖")


def test_the_font_is_of_a_sensible_size_and_licensed():
    # about 540 KB a weight for GB 2312 level 1 (the whole Noto Sans SC: several MB)
    assert all(p.stat().st_size < 650_000 for p in FONT_FILES.values())
    for path in FONT_FILES.values():
        assert path.read_bytes()[:4] == b"wOF2"
    assert "SIL OPEN FONT LICENSE, VERSION 1.1" in LICENCE_FILE.read_text().upper()


def test_the_pages_load_the_font_from_beside_them(db_url, tmp_path):
    css = (REPO / "api" / "static" / "app.css").read_text()
    assert css.index(FAMILY) < css.index("PingFang SC")  # the shipped font first
    with running_api(db_url, tmp_path / "evidence") as api:
        for url in re.findall(r"url\((/static/fonts/[^)]+)\)", css):
            served = api.client.get(url)
            assert served.status_code == 200 and served.content[:4] == b"wOF2", url
        assert "Open Font License" in api.client.get("/static/fonts/OFL.txt").text


def test_the_report_and_the_notice_inline_the_font_and_fit_a_phone():
    section = html.BranchSection(
        "JS-HA-001", "淮安清江浦支行", "huaian", 96, 100, 0.95, "<svg></svg>", [],
        timezone="Asia/Shanghai",
    )  # fmt: skip
    page = html.render_report("2026-11-02", [section], load_checklist())
    sheet = notice.render_notice(
        notice.Notice("JS-HA-001", "淮安清江浦支行", "huaian", "Asia/Shanghai", "2026-W45",
                      notice.week_days("2026-W45"))
    )  # fmt: skip
    for document in (page, sheet):
        assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in document
        assert document.count("src:url(data:font/woff2;base64,") == len(FONT_FILES)
        assert f'font-family:"{FAMILY}"' in document
        assert " UTC" in document  # when it was generated, with the zone
    assert datetime.now(UTC).strftime("%Y-%m-%d") in page


# the bank's own names (issue 25): branch names, a supervisor, an appeal's reason
NAMES = ("南京分行营业部", "盐城亭湖支行", "王主管", "办理业务时协助客户填单")


def _inline_fonts(document: str) -> list[set[int]]:
    found = re.findall(r"src:url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", document)
    return [_cmap(io.BytesIO(base64.b64decode(data))) for data in found]


def _visible_text(document: str) -> str:
    body = re.sub(r"<style>.*?</style>|<script.*?</script>", "", document, flags=re.S)
    return re.sub(r"data:[^\"')]+", "", re.sub(r"<[^>]+>", " ", body))


def test_the_printed_notice_and_report_cover_every_character_with_the_banks_names():
    section = html.BranchSection(
        "JS-NJ-001", NAMES[0], "南京", 96, 100, 0.95, "<svg></svg>", [],
        outcomes={"方案二 Policy B": f"{NAMES[2]} 复核：{NAMES[3]}"}, timezone="Asia/Shanghai",
    )  # fmt: skip
    page = html.render_report("2026-11-02", [section], load_checklist())
    order = notice.NoticeOrder(
        1, "COUNTER_CLUTTER", "柜面不整洁", NAMES[3], date(2026, 11, 9), "2026-11-03 10:00",
        NAMES[2], None, "", False,
    )  # fmt: skip
    sheet = notice.render_notice(
        notice.Notice("JS-YC-002", NAMES[1], "盐城", "Asia/Shanghai", "2026-W45",
                      notice.week_days("2026-W45"), orders=[order])
    )  # fmt: skip
    for document, names in ((page, (NAMES[0], *NAMES[2:])), (sheet, NAMES[1:])):
        text = _visible_text(document)
        assert all(name in text for name in names), names  # the names are printed
        wanted = set(CJK.findall(text))
        faces = _inline_fonts(document)
        assert len(faces) == len(FONT_FILES)
        for have in faces:
            missing = sorted(ch for ch in wanted if ord(ch) not in have)
            assert not missing, "".join(missing)
        # only the document's own characters travel with it, so a mailed notice stays small
        assert all(len(have) < 1500 for have in faces)
        assert len(document) < 600_000


def test_the_unpacked_font_is_kept_on_disk_by_the_shipped_files_digest(tmp_path, monkeypatch):
    """The first document of a process reads the unpacked font from the cache folder
    instead of undoing WOFF2 again (pipeline/fonts.py); the name carries the shipped
    file's digest, so a new font is never read from an old copy."""
    from fontTools.ttLib import TTFont

    from pipeline import fonts

    monkeypatch.setenv("BRANCH_AUDIT_CACHE", str(tmp_path))
    kept = fonts.unpacked_path(400)
    assert kept.is_relative_to(tmp_path) and not kept.exists()
    data = fonts.unpacked.__wrapped__(400)  # past the process's own cache
    assert kept.read_bytes() == data
    font = TTFont(io.BytesIO(data))
    assert font.flavor is None and set(font.getBestCmap()) == _cmap(FONT_FILES[400])
    kept.write_bytes(b"marker")  # what the next process reads: the kept file, not WOFF2
    assert fonts.unpacked.__wrapped__(400) == b"marker"
    digest = hashlib.sha256(FONT_FILES[400].read_bytes()).hexdigest()[:16]
    assert digest in kept.name and fonts.unpacked_path(700) != kept


def test_an_unwritable_cache_folder_only_costs_the_unpacking(tmp_path, monkeypatch):
    from pipeline import fonts

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("BRANCH_AUDIT_CACHE", str(blocker))
    assert fonts.unpacked.__wrapped__(700)[:4] in (b"\x00\x01\x00\x00", b"OTTO", b"true")
