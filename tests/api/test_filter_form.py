"""The review queue's filter form in a real headless Chromium against `branch-audit serve`
(issue 25 point 10): branch, camera, zone and item are lists of what is stored and the
supervisor may see (a zone named as the timeline names it), dates are date inputs, the
queue sorts as asked, and a filter that matches nothing says how many are pending
elsewhere, with a link that clears it. Screenshots go to tests/artifacts/filter_form/."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.api import filled_db
from tests.support.browser import (
    DESKTOP,
    artifacts,
    chromium,
    login,
    needs_chromium,
    serving,
    token,
)

pytestmark = needs_chromium

SHOTS = artifacts("filter_form")
LM = "lm-desk（大堂经理岗 lobby manager）"  # the zone as the timeline and the form name it


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The filled database (no test here decides anything), the own region's cameras and
    zones stored as a night run stores them, and one of another region's."""
    root = tmp_path_factory.mktemp("filter_form")
    url = f"sqlite:///{root / 'audit.db'}"
    filled_db(url, root / "evidence")
    db = Database(url)
    now = datetime.now(UTC)
    with db.session() as s:
        for branch, camera, zone, purpose in (
            ("JS-HA-001", "lobby-1", "lm-desk", "lobby_manager"),
            ("JS-HA-001", "counter-1", "post-1", "teller_post"),
            ("JS-HA-001", "counter-1", "post-2", "teller_post"),
            ("JS-SZ-001", "counter-2", "desk-2", "counter_surface"),
        ):
            if s.get(m.Camera, (branch, camera)) is None:
                s.add(m.Camera(branch_id=branch, id=camera))
                s.flush()
            s.add(m.Zone(branch_id=branch, camera_id=camera, id=zone, purpose=purpose,
                         updated_at=now))  # fmt: skip
    db.dispose()
    secret = token(url, "supervisor", "sam", "--region", "huaian")
    with serving(url, root / "evidence", root / "serve.log") as base, chromium() as browser:
        page = browser.new_context(viewport=DESKTOP).new_page()
        login(page, base, secret)
        yield base, page


def _queue(page) -> list[str]:
    page.wait_for_function("() => document.getElementById('count').textContent !== ''")
    return page.locator("#queue-list li").evaluate_all("items => items.map((li) => li.dataset.id)")


def _filter(page, **fields) -> None:
    """Open the filter box, set the fields (a select by its label, else its value; a
    date typed in), and submit the form."""
    box = page.locator("#filter-box")
    if not box.evaluate("b => b.open"):
        page.click("#filter-box summary")
    form = page.locator("#filter-box form")
    for name, value in fields.items():
        field = form.locator(f"[name={name}]")
        if field.evaluate("f => f.tagName") == "SELECT":
            labels = field.locator("option").all_inner_texts()
            field.select_option(label=value) if value in labels else field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").press("Enter")
    page.wait_for_load_state()


def test_the_selects_offer_what_is_stored_and_filter_by_the_shown_zone_name(site):
    base, page = site
    page.goto(f"{base}/review")
    assert len(_queue(page)) == 4  # the huaian region's pending findings
    page.click("#filter-box summary")
    zones = page.locator("select[name=zone] option").all_inner_texts()
    assert zones == [
        "全部 All",
        LM,
        "post-1（柜员岗位 teller post）",
        "post-2（柜员岗位 teller post）",
    ]
    cameras = page.locator("select[name=camera] option").all_inner_texts()
    assert cameras == ["全部 All", "counter-1", "lobby-1"]  # not another region's counter-2
    branches = page.locator("select[name=branch] option").all_inner_texts()
    assert [b.split()[0] for b in branches[1:]] == ["JS-HA-001", "JS-HA-002"]
    for name in ("date", "from", "to"):
        assert page.locator(f"#filter-box input[name={name}]").get_attribute("type") == "date"
    items = page.locator("select[name=item] option").all_inner_texts()
    assert any("Teller" in i or "柜员" in i for i in items[1:])

    _filter(page, zone="post-1（柜员岗位 teller post）", sort="最新在前 Newest first")
    query = parse_qs(urlsplit(page.url).query)
    assert query["zone"] == ["post-1"] and query["sort"] == ["newest"]
    shown = _queue(page)
    assert len(shown) == 2  # the two teller posts named post-1, newest first
    assert page.locator("select[name=zone]").input_value() == "post-1"
    assert page.locator("select[name=sort]").input_value() == "newest"
    assert "post-1" in page.locator("#f-where").inner_text()  # the finding shown first
    page.screenshot(path=str(SHOTS / "zone_post-1_newest.png"), full_page=True)


def test_a_filter_matching_nothing_says_how_many_are_pending_elsewhere(site):
    base, page = site
    page.goto(f"{base}/review")
    _filter(page, branch="JS-HA-001 淮安清江浦支行", date="2026-11-04")
    empty = page.locator("#empty")
    empty.wait_for(state="visible")
    said = page.locator("#elsewhere").inner_text()
    assert "此筛选下无待复核；其他日期/网点还有 4 条" in said
    assert "No pending findings match; 4 are pending elsewhere" in said
    assert page.locator("#current").is_hidden()
    page.screenshot(path=str(SHOTS / "nothing_matches.png"), full_page=True)
    with page.expect_navigation():
        page.click("#clear-filters")
    page.wait_for_load_state()
    assert urlsplit(page.url).path.startswith(("/review", "/findings/"))
    assert len(_queue(page)) == 4
    assert page.locator("#empty").is_hidden()


def test_a_zone_filter_by_the_timelines_name_finds_nothing_pending_and_says_so(site):
    """The lobby manager's finding is confirmed: filtering the queue by its zone's name
    finds none pending, and says where the pending ones are."""
    base, page = site
    page.goto(f"{base}/review")
    _filter(page, zone=LM)
    assert parse_qs(urlsplit(page.url).query)["zone"] == ["lm-desk"]
    page.locator("#empty").wait_for(state="visible")
    assert "4 are pending elsewhere" in page.locator("#elsewhere").inner_text()
    chips = page.locator("#filter-box summary .chip").all_inner_texts()
    assert chips == ["区域 lm-desk"]
