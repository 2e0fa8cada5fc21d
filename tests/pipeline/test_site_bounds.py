"""Numbers out of all reason, unknown exempt items and zones that enclose no place are
refused when a site, checklist or policy file is read, each named by its place in the
file (detectors/config_base.py StrictModel: every number has both bounds)."""

from __future__ import annotations

import pytest
import yaml

from detectors.config_base import ConfigError, StrictModel
from pipeline.site import SiteError, parse_site
from rules.checklist import DEFAULT_CHECKLIST, Checklist, load_checklist
from rules.policies import BUILTIN, load_policy
from tests.pipeline.test_site import GOOD

CHECKLIST = load_checklist()


def _site_error(edit, checklist: Checklist | None = CHECKLIST) -> str:
    data = yaml.safe_load(GOOD)
    for camera in data["cameras"]:  # the reference image is another test's concern
        for zone in camera["zones"]:
            zone.pop("reference", None)
    edit(data)
    with pytest.raises(SiteError) as info:
        parse_site(data, DEFAULT_CHECKLIST.parent, "site.yaml", checklist)
    return str(info.value)


def _zone(data: dict, polygon: list) -> None:
    data["cameras"][1]["zones"][0]["polygon"] = polygon


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d.update(meeting_window=[10000000000000, 0]),
            "meeting_window[0]: must be ≤ 1440",
        ),
        (
            lambda d: d.update(meeting_window=[float("inf"), 0]),
            "meeting_window[0]: Input should be a finite number",
        ),
        (
            lambda d: d.update(meeting_window=[float("nan"), 0]),
            "meeting_window[0]: Input should be a finite number",
        ),
        (lambda d: d.update(meeting_window=[30, -5]), "meeting_window[1]: must be ≥ 0"),
        (
            lambda d: d["cameras"][0]["zones"][0]["uniform"].update(tolerance=1e300),
            "cameras[0].zones[0].uniform.tolerance: must be ≤ 100",
        ),
        (
            lambda d: d["exempt"][0].update(items=["TELLER_ABSENT", "NOT_AN_ITEM"]),
            "exempt[0].items: NOT_AN_ITEM: not an item of the checklist",
        ),
        (  # a bow-tie: the second and fourth edges cross
            lambda d: _zone(d, [[0.1, 0.2], [0.4, 0.7], [0.4, 0.2], [0.1, 0.7]]),
            "cameras[1].zones[0].polygon: edges 0 and 2 cross (a bow-tie)",
        ),
        (  # a bow-tie whose two halves differ, so its signed area is not zero
            lambda d: _zone(d, [[0.1, 0.1], [0.9, 0.9], [0.9, 0.5], [0.1, 0.6]]),
            "cameras[1].zones[0].polygon: edges 0 and 2 cross (a bow-tie)",
        ),
        (
            lambda d: _zone(d, [[0.1, 0.1], [0.3, 0.3], [0.5, 0.5], [0.7, 0.7]]),
            "cameras[1].zones[0].polygon: edges",  # on one line: it folds back
        ),
        (
            lambda d: _zone(d, [[0.1, 0.1], [0.5, 0.1], [0.5, 0.1], [0.5, 0.5]]),
            "cameras[1].zones[0].polygon: point 2 repeats point 1",
        ),
        (
            lambda d: _zone(d, [[0.1, 0.1], [0.1000001, 0.1], [0.1, 0.1000001]]),
            "cameras[1].zones[0].polygon: encloses no area",
        ),
    ],
)
def test_a_bad_site_file_is_refused_at_load_naming_its_place(edit, message):
    assert message in _site_error(edit)


def test_exempt_codes_are_judged_only_against_a_checklist():
    """Read without one (pages naming zones read site files so), the codes are kept."""
    data = yaml.safe_load(GOOD)
    data["exempt"][0]["items"] = ["NOT_AN_ITEM"]
    for zone in data["cameras"][1]["zones"]:
        zone.pop("reference", None)
    assert parse_site(data, DEFAULT_CHECKLIST.parent).exempt[0].items == ("NOT_AN_ITEM",)


def _bank_checklist(tmp_path, edit) -> str:
    data = yaml.safe_load(DEFAULT_CHECKLIST.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_checklist(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d["items"][1]["trigger"].update(duration_s=1e13), "items[1].trigger.duration_s: must be ≤ 86400"),
        (lambda d: d["items"][1].update(deduction=1e9), "items[1].deduction: must be ≤ 100"),
        (lambda d: d["items"][1].update(cap=float("inf")), "items[1].cap: Input should be a finite number"),
        (lambda d: d["sampling"].update(max_gap_s=1e13), "sampling.max_gap_s: must be ≤ 86400"),
        (lambda d: d["hysteresis"].update(window_s=1e13), "hysteresis.window_s: must be ≤ 86400"),
        (lambda d: d.update(repeat_factor=1e300), "repeat_factor: must be ≤ 10"),
        (lambda d: d["items"][5]["evidence"].update(min_points=10**12), "items[5].evidence.patrol.min_points: must be ≤ 100000"),
    ],
)  # fmt: skip
def test_every_number_of_a_checklist_is_bounded(tmp_path, edit, message):
    assert message in _bank_checklist(tmp_path, edit)


@pytest.mark.parametrize(
    ("policy", "edit", "message"),
    [
        ("A", lambda p: p.update(deduct_yuan=1e13), "policy.threshold.deduct_yuan: must be ≤ 10000000"),
        ("A", lambda p: p["reward"].update(top=10**12), "policy.threshold.reward.top: must be ≤ 100000"),
        ("B", lambda p: p.update(per_point_yuan=float("nan")), "policy.staged.per_point_yuan: Input should be a finite number"),
        ("B", lambda p: p["regional_last"].update(yuan=[500, 1e13]), "policy.staged.regional_last.yuan[1]: must be ≤ 10000000"),
        ("B", lambda p: p["stages"][0].update(number=10**12), "policy.staged.stages[0].number: must be ≤ 12"),
        ("B", lambda p: p.update(fines={"TELLER_ABSENT": {"per_incident": 1e13}}), "policy.staged.fines.TELLER_ABSENT.per_incident: must be ≤ 10000000"),
    ],
)  # fmt: skip
def test_every_number_of_a_policy_is_bounded(tmp_path, policy, edit, message):
    data = yaml.safe_load(BUILTIN[policy].read_text(encoding="utf-8"))
    edit(data["policy"])
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_policy(path)
    assert message in str(info.value)


def test_a_model_with_an_unbounded_number_is_refused_where_it_is_written():
    with pytest.raises(TypeError, match="Unbounded.seconds: a number read from outside"):

        class Unbounded(StrictModel):
            seconds: tuple[float, ...]
