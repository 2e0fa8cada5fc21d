"""The admin's zone editor (issue 26 row 8) against `branch-audit serve` over the database a
real night left (the test branch of tests/support/run_site.py: one camera watching the
table of one-by-one-person-detection.mp4): the frame `site check` draws on, the site
file's zones over it; dragging a corner or nudging it with the keys changes the YAML,
which the site file then takes. Admins only; ids, never paths, in the request.
Screenshots go to tests/artifacts/zone_editor/ (or $BRANCH_AUDIT_SCREENSHOTS)."""

from __future__ import annotations

import html
import shutil
from dataclasses import dataclass
from functools import reduce

import av
import cv2
import httpx
import numpy as np
import pytest
import yaml

from api.tokens import issue_token
from pipeline.site import parse_site
from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.browser import (
    DESKTOP,
    PHONE,
    artifacts,
    chromium,
    login,
    needs_chromium,
    serving,
)
from tests.support.run_site import BRANCH, CLIP

SHOTS = artifacts("zone_editor")


def in_chromium(test):
    """The marks of a browser test (the other tests here need no browser)."""
    return reduce(lambda t, mark: mark(t), needs_chromium, test)


EDITOR = f"/branches/{BRANCH}/cameras/post/zones"
STILL = f"/branches/{BRANCH}/cameras/post/still.jpg"
#: the site file's table post (tests/support/run_site.py SITE)
POLYGON = [[0.37, 0.58], [0.75, 0.58], [0.75, 0.78], [0.66, 0.98], [0.43, 0.98], [0.36, 0.80]]
W, H = 768, 432  # the clip's picture


@dataclass
class Served:
    base: str
    site: object  # the site file's path
    tokens: dict[str, str]

    def get(self, who: str | None, path: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.get(self.base + path, headers=headers, follow_redirects=False)


@pytest.fixture(scope="module")
def served(reference_run, tmp_path_factory):
    """A copy of the reference night's database, with a token per role, served."""
    site, db_path, _ = reference_run
    root = tmp_path_factory.mktemp("zone-editor")
    shutil.copy(db_path, root / "night.db")
    url = f"sqlite:///{root / 'night.db'}"
    db = Database(url)
    with db.session() as s:
        tokens = {
            "admin": issue_token(s, "admin", "ada").token,
            "supervisor": issue_token(s, "supervisor", "sam", region="test").token,
            "branch": issue_token(s, "branch", "bo", branch=BRANCH).token,
        }
        # a camera the database knows that the site file no longer has
        s.add(m.Camera(branch_id=BRANCH, id="side", role="other"))
    db.dispose()
    (root / "evidence").mkdir()
    with serving(url, root / "evidence", root / "serve.log") as base:
        yield Served(base, site, tokens)


def test_the_editor_shows_the_frame_site_check_draws_on(served, footage):
    page = served.get("admin", EDITOR)
    assert page.status_code == 200, page.text
    # the night's day, the camera's first file, its first frame's time on the branch's clock
    assert "post_20240506_090000.mp4" in page.text
    assert "2024-05-06 09:00:00 (Asia/Shanghai)" in page.text
    still = served.get("admin", STILL)
    assert still.status_code == 200 and still.headers["content-type"] == "image/jpeg"
    picture = cv2.imdecode(np.frombuffer(still.content, np.uint8), cv2.IMREAD_COLOR)
    with av.open(str(footage / CLIP)) as c:
        first = next(c.decode(video=0)).to_ndarray(format="bgr24")
    assert picture.shape == first.shape == (H, W, 3)
    assert np.abs(picture.astype(int) - first.astype(int)).mean() < 3  # the same, as JPEG


def test_only_admins_edit_zones_and_only_stored_cameras(served):
    for who in ("supervisor", "branch"):  # the branch is in their scope: still refused
        assert served.get(who, EDITOR).status_code == 403
        assert served.get(who, STILL).status_code == 403
        branch_page = served.get(who, f"/branches/{BRANCH}")
        assert branch_page.status_code == 200 and "zone-editor-link" not in branch_page.text
    assert 'class="button zone-editor-link"' in served.get("admin", f"/branches/{BRANCH}").text
    # another branch, another camera, a path for an id: as every route answers them
    assert served.get("admin", "/branches/NO-SUCH/cameras/post/zones").status_code == 404
    assert served.get("admin", f"/branches/{BRANCH}/cameras/door/still.jpg").status_code == 404
    assert served.get("admin", f"/branches/{BRANCH}/cameras/..%2Fsite.yaml/zones").status_code in (
        404,
        422,
    )
    # without a login: to the login form
    assert served.get(None, EDITOR).status_code == 303
    assert served.get(None, STILL).status_code == 303


def test_a_camera_the_site_file_lacks_is_said_so(served):
    page = served.get("admin", f"/branches/{BRANCH}/cameras/side/zones")
    assert page.status_code == 200
    shown = html.unescape(page.text)
    assert "The site file does not give this camera's zones: no camera 'side'" in shown
    assert 'id="zone-yaml"' not in page.text
    assert served.get("admin", f"/branches/{BRANCH}/cameras/side/still.jpg").status_code == 404


def test_a_day_without_recordings_keeps_the_zones_editable(served):
    page = served.get("admin", EDITOR + "?date=2024-05-07")
    assert page.status_code == 200
    assert "No frame of this day could be had" in page.text and 'id="zone-yaml"' in page.text
    assert served.get("admin", STILL + "?date=2024-05-07").status_code == 404


def _yaml_polygon(page) -> list[list[float]]:
    text = page.input_value("#zone-yaml")
    (zone,) = yaml.safe_load(text)["zones"]
    return zone["polygon"]


def _open(browser, served, viewport):
    context = browser.new_context(viewport=viewport)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []  # what the console reports: a script error, a refusal by the CSP
    page.on("console", lambda m: m.type in ("error", "warning") and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, served.base, served.tokens["admin"])
    page.goto(f"{served.base}/branches/{BRANCH}")
    page.click("a.zone-editor-link")
    page.wait_for_url(served.base + EDITOR)
    page.wait_for_function(
        "() => document.body.dataset.zoneEditor === 'ready' && "
        "document.getElementById('still').complete && "
        "document.getElementById('still').naturalWidth > 0"
    )
    return page, errors


@in_chromium
def test_dragging_a_corner_and_nudging_it_change_the_yaml(served):
    with chromium() as browser:
        page, errors = _open(browser, served, DESKTOP)
        assert _yaml_polygon(page) == POLYGON
        page.screenshot(path=str(SHOTS / "editor_1366x900.png"), full_page=True)

        handle = page.locator("#zone-svg .handle[data-point='0']")
        box = handle.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y + 40, steps=6)
        page.mouse.up()
        shown = page.locator("#zone-svg").bounding_box()["width"]
        moved = _yaml_polygon(page)
        px = W / shown  # picture pixels per screen pixel
        assert moved[0] == pytest.approx(
            [POLYGON[0][0] + 60 * px / (W - 1), POLYGON[0][1] + 40 * px / (H - 1)], abs=0.004
        )
        assert moved[1:] == POLYGON[1:]

        # keys: the next corner 3 px right and 10 px down (Shift), a point added after it
        page.locator("#zone-svg .handle[data-point='1']").focus()
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Shift+ArrowDown")
        nudged = _yaml_polygon(page)
        assert nudged[1] == pytest.approx(
            [POLYGON[1][0] + 3 / (W - 1), POLYGON[1][1] + 10 / (H - 1)], abs=1e-4
        )
        page.keyboard.press("+")
        assert len(_yaml_polygon(page)) == 7
        page.keyboard.press("Delete")
        assert _yaml_polygon(page) == nudged

        # the YAML is the site file's: pasted over the camera's zones, the file loads
        data = yaml.safe_load(served.site.read_text(encoding="utf-8"))
        data["cameras"][0]["zones"] = yaml.safe_load(page.input_value("#zone-yaml"))["zones"]
        loaded = parse_site(data, served.site.parent)
        assert [list(p) for p in loaded.cameras[0].zones[0].polygon] == nudged
        assert loaded.cameras[0].zones[0].anchor == "feet"

        page.click("#copy-yaml")
        page.wait_for_function("() => document.querySelector('.copy-message').textContent")
        assert page.text_content(".copy-message") == "已复制 Copied"
        assert page.evaluate("() => navigator.clipboard.readText()") == page.input_value(
            "#zone-yaml"
        )
        assert errors == []


@in_chromium
def test_the_editor_fits_a_phone_and_a_corner_drags_there(served):
    with chromium() as browser:
        page, errors = _open(browser, served, PHONE)
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
        handle = page.locator("#zone-svg .handle[data-point='2']")
        handle.scroll_into_view_if_needed()
        box = handle.bounding_box()
        assert box["width"] >= 16  # a corner a finger can take
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 20, y - 10, steps=4)
        page.mouse.up()
        moved = _yaml_polygon(page)
        assert moved[2][0] < POLYGON[2][0] and moved[2][1] < POLYGON[2][1]
        page.screenshot(path=str(SHOTS / "editor_390x844.png"), full_page=True)
        assert errors == []
