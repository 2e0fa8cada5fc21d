"""The weekly rectification notice of a week filled by a real run: the confirmed findings
with their key frames, points and fines, the check scores, the orders, what counts double."""

from __future__ import annotations

import base64
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cli.main import main
from pipeline.report.notice import NoticeError, week_days
from pipeline.store import models as m
from pipeline.store.db import Database
from pipeline.store.scores import recompute_scores
from rules.checklist import load_checklist
from tests.support.run_site import BRANCH, CHECKLIST, DAY, build_site, run_cli

WEEK = "2024-W19"  # Monday 2024-05-06 is the test branch's day


@pytest.fixture(scope="module")
def week(tmp_path_factory, footage):
    """A real run with evidence; its first finding confirmed, an order given the day before."""
    root = tmp_path_factory.mktemp("notice")
    url = f"sqlite:///{root / 'notice.db'}"
    doc = run_cli(build_site(root, footage), url, "--evidence", str(root / "evidence"))
    first = doc["branches"][BRANCH]["findings"][0]
    db = Database(url)
    with db.session() as s:
        s.get(m.Finding, first["id"]).status = "confirmed"
        s.add(
            m.RectificationOrder(
                branch_id=BRANCH, item="TELLER_ABSENT", note="教育柜员不得离岗 keep the post manned",
                due=date(2024, 5, 3), ordered_by="王主管", ordered_at=datetime(2024, 5, 4, tzinfo=UTC),
            )
        )  # fmt: skip
        s.flush()
        recompute_scores(s, BRANCH, DAY, load_checklist(CHECKLIST))
    db.dispose()
    out = root / "notices"
    assert main(["notice", "--week", WEEK, "--db", url, "--evidence", str(root / "evidence"),
                 "--out", str(out), "--checklist", str(CHECKLIST)]) == 0  # fmt: skip
    return doc, first, out, url


def test_the_notice_shows_the_confirmed_finding_its_key_frame_points_and_fine(week):
    doc, first, out, _ = week
    html = (out / "test" / f"branch-{BRANCH}.html").read_text(encoding="utf-8")
    assert "检查整改通知" in html and "Rectification notice" in html
    assert html.count('alt="key frame') == 1  # the confirmed one only; pending ones are not
    [uri] = re.findall(r'src="data:image/jpeg;base64,([^"]+)"', html)
    assert base64.b64decode(uri)[:2] == b"\xff\xd8"  # a JPEG: the finding's key frame
    # under an open order from the day before, the absence is a repeat: 2 points doubled,
    # and its fine is the repeat's 500 yuan a point (rules/policy_b.yaml)
    assert "柜员离岗" in html and "重复 repeat" in html
    assert "TELLER_ABSENT: repeat, 2 point(s) × 500 yuan = 1000 yuan" in html
    assert "罚款合计 Fines this week: 1000 元" in html


def test_the_notice_lists_scores_orders_and_what_counts_double(week):
    _, _, out, _ = week
    html = (out / "test" / f"branch-{BRANCH}.html").read_text(encoding="utf-8")
    assert "2024-05-06" in html and "不完整 incomplete" in html  # coverage 77 % < 90 %
    assert "教育柜员不得离岗" in html and "2024-05-03" in html and "逾期 overdue" in html
    assert "未关闭 open" in html and "rectification order #1 open" in html
    index = (out / "test" / "index.html").read_text(encoding="utf-8")
    assert f'href="branch-{BRANCH}.html"' in index and ">1000<" in index


def test_the_order_doubles_every_absence_of_the_day_in_the_stored_score(week):
    doc, _, _, url = week
    n = len(doc["branches"][BRANCH]["findings"])
    assert doc["branches"][BRANCH]["score"] == 100 - min(2 * n, 10)  # the run, before it
    db = Database(url)
    with db.session() as s:
        check = s.get(m.CheckScore, (BRANCH, DAY))
        # recomputed with the order open since the day before: each absence is a repeat
        assert check.provisional == 100 - min(2 * 2 * n, 10)
        assert check.final == 100 - 2 * 2  # the one confirmed, doubled
    db.dispose()


@pytest.mark.parametrize("bad", ["2024-19", "2024-W54", "W19", ""])
def test_a_week_is_an_iso_week(bad):
    with pytest.raises(NoticeError, match="ISO week"):
        week_days(bad)
    assert week_days("2024-W19") == (date(2024, 5, 6), date(2024, 5, 12))
    assert timedelta(days=6) == week_days("2026-W48")[1] - week_days("2026-W48")[0]


def test_a_region_never_steers_where_notices_are_written(tmp_path):
    from pipeline.report.notice import _folder

    assert _folder("huaian") == "huaian"
    assert _folder("../../etc").startswith("_region-") and "/" not in _folder("a/b")
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.session() as s:
        assert s.scalars(select(m.Branch)).all() == []


@pytest.mark.parametrize("branch", ["index", "INDEX", "branch-index", "index.html"])
def test_no_branch_id_collides_with_a_region_index(tmp_path, capsys, branch):
    """Six branches of one region, one with an id shaped like a generated name: six pages
    and one index, and the count says so."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    db = Database(url)
    ids = [branch, "A-1", "A-2", "A-3", "A-4", "A-5"]
    with db.session() as s:
        for i in ids:
            s.add(m.Branch(id=i, name=f"name of {i}", region="north", timezone="Asia/Shanghai",
                           updated_at=datetime.now(UTC)))  # fmt: skip
    db.dispose()
    out = tmp_path / "notices"

    assert main(["notice", "--week", WEEK, "--db", url, "--out", str(out),
                 "--evidence", str(tmp_path)]) == 0  # fmt: skip

    assert "notices: 6 branch(es), 1 region index(es)" in capsys.readouterr().out
    pages = sorted(p.name for p in (out / "north").iterdir())
    assert pages == sorted([*(f"branch-{i}.html" for i in ids), "index.html"])
    assert f"name of {branch}" in (out / "north" / f"branch-{branch}.html").read_text()
    index = (out / "north" / "index.html").read_text(encoding="utf-8")
    assert "Rectification notices" in index
    assert all(f'href="branch-{i}.html"' in index for i in ids)
