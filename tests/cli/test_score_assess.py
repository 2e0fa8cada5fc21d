"""`branch-audit score` and `branch-audit assess` end to end, from files."""

from __future__ import annotations

import json
from datetime import date, time

import pytest

from cli import main as cli
from pipeline.site import load_site
from rules.checklist import DEFAULT_CHECKLIST

SITE = """
branch: {id: JS-HA-001, name: 淮安清江浦支行, region: huaian, timezone: Asia/Shanghai}
business_hours:
  mon-fri: ["09:00", "17:00"]
  sat: ["09:30", "16:00"]
exempt:
  - {from: "12:00", to: "12:30", items: [TELLER_ABSENT]}
cameras:
  - id: lobby-1
    role: lobby
    recordings: {folder: rec/lobby-1}
    zones:
      - {id: lm-desk, purpose: lobby_manager, polygon: [[0.5, 0.55], [0.75, 0.55], [0.75, 0.95]]}
  - id: counter-1
    role: counter
    recordings: {folder: rec/counter-1}
    zones:
      - {id: post-1, purpose: teller_post, polygon: [[0.1, 0.2], [0.4, 0.2], [0.4, 0.7]]}
"""


@pytest.fixture
def branch_audit(capsys):
    def run(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def write_observations(path, away, start=0, end=3600, t=lambda s: s):
    with path.open("w") as out:
        for s in range(start, end, 2):
            zone = {"persons": 1, "present": not away(s), "phone": False, "extra": 1}
            out.write(json.dumps({"t": t(s), "zones": {"post-1": zone}}) + "\n")


def test_site_schedule_reads_weekday_ranges_exempt_windows_and_zones(tmp_path):
    (tmp_path / "site.yaml").write_text(SITE, encoding="utf-8")
    schedule = load_site(tmp_path / "site.yaml").schedule()
    assert schedule.hours[0] == schedule.hours[4] == (time(9), time(17))
    assert schedule.hours[5] == (time(9, 30), time(16))
    assert schedule.day(date(2024, 3, 10)) is None  # a Sunday
    saturday = schedule.day(date(2024, 3, 9))
    assert saturday.opening.isoformat() == "2024-03-09T09:30:00+08:00"
    assert [z.zone_id for z in schedule.zones] == ["lm-desk", "post-1"]


def test_score_turns_observations_into_findings_and_a_score(tmp_path, branch_audit):
    (tmp_path / "site.yaml").write_text(SITE, encoding="utf-8")
    obs = tmp_path / "obs.jsonl"
    write_observations(obs, lambda s: 600 <= s < 1000)
    code, out, _ = branch_audit(
        "score",
        "--observations",
        obs,
        "--site",
        tmp_path / "site.yaml",
        "--start",
        "2024-03-05",
        "--json",
    )
    assert code == 0
    [check] = json.loads(out)["checks"]
    [finding] = [f for f in check["findings"] if f["item"] != "FOOTAGE_MISSING"]
    # the hour observed is all the day's footage: the rest of it is missing on both cameras
    assert {
        f["cameras"][0]: (f["start"][11:19], f["end"][11:19])
        for f in check["findings"]
        if f["item"] == "FOOTAGE_MISSING"
    } == {"counter-1": ("09:59:58", "17:00:00"), "lobby-1": ("09:00:00", "17:00:00")}
    assert (finding["item"], finding["zone"], finding["cameras"]) == (
        "TELLER_ABSENT",
        "post-1",
        ["counter-1"],
    )
    assert (finding["start"], finding["end"]) == (
        "2024-03-05T09:10:00+08:00",
        "2024-03-05T09:16:40+08:00",
    )
    # the second camera's missing footage is a repeat of the item within the check: doubled
    assert check["score"]["provisional"] == 100 - 2 - (2 + 2 * 2) and check["score"]["final"] == 100
    assert check["coverage"]["lobby-1"] == 0


def test_score_honours_the_site_exempt_window_with_absolute_times(tmp_path, branch_audit):
    (tmp_path / "site.yaml").write_text(SITE, encoding="utf-8")
    obs = tmp_path / "obs.jsonl"
    write_observations(
        obs,
        lambda s: 3 * 3600 <= s < 3 * 3600 + 1200,
        start=2 * 3600,
        end=4 * 3600,
        t=lambda s: f"2024-03-05T{9 + s // 3600:02}:{s % 3600 // 60:02}:{s % 60:02}",
    )
    code, out, _ = branch_audit("score", "--observations", obs, "--site", tmp_path / "site.yaml")
    assert code == 0
    # the 20-minute absence lies in the exempt window: no finding; the hours not observed are
    assert "TELLER_ABSENT" not in out and "FOOTAGE_MISSING" in out


def test_score_reports_bad_input_in_one_line(tmp_path, branch_audit):
    (tmp_path / "site.yaml").write_text(SITE, encoding="utf-8")
    obs = tmp_path / "obs.jsonl"
    obs.write_text(json.dumps({"t": 0, "zones": {"nowhere": {"present": True}}}) + "\n")
    code, _, err = branch_audit(
        "score",
        "--observations",
        obs,
        "--site",
        tmp_path / "site.yaml",
        "--start",
        "2024-03-05T09:00:00",
    )
    assert code == 2 and "cannot tell the camera of zones ['nowhere']" in err
    bad = tmp_path / "checklist.yaml"
    bad.write_text(DEFAULT_CHECKLIST.read_text(encoding="utf-8").replace("cap: 10", "cap: -1"))
    code, _, err = branch_audit(
        "score", "--observations", obs, "--site", tmp_path / "site.yaml", "--checklist", bad
    )
    assert code == 2 and "items[0].cap: must be ≥ 0" in err


def test_assess_prints_outcomes_with_rule_and_arithmetic(tmp_path, branch_audit):
    csv = tmp_path / "scores.csv"
    rows = [f"F{i:03},elsewhere,2024-03-0{1 + i % 2},99" for i in range(200)]
    rows += [
        "X,huaian,2024-03-01,89",
        "X,huaian,2024-04-01,91",
        "Y,huaian,2024-03-01,85",
        "Z,huaian,2024-03-01,84",
    ]
    csv.write_text("branch,region,date,score\n" + "\n".join(rows) + "\n")
    code, out, _ = branch_audit("assess", "--scores", csv, "--policy", "B", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["period"] == {"label": "2024-S1", "kind": "stage"}
    x = report["branches"]["X"]
    assert {k: x[k] for k in ("score", "rank", "region_rank", "outcome", "yuan")} == {
        "score": 90.0,
        "rank": 201,
        "region_rank": 1,
        "outcome": "penalty",
        "yuan": -1400.0,
    }
    assert "1000 + (92 − 90) × 200 = 1400" in x["rule"]
    assert "rank 1 ≤ 200 in the province: not assessed" in report["branches"]["F000"]["rule"]
    code, out, _ = branch_audit("assess", "--scores", csv, "--policy", "A")
    assert code == 0
    assert any(
        line.startswith("Z ") and "deduct_heavy" not in line and "deduct" in line
        for line in out.splitlines()
    )
    code, _, err = branch_audit("assess", "--scores", csv, "--policy", "B", "--period", "2024-Q9")
    assert code == 2 and "2024-Q9" in err


@pytest.mark.parametrize("label", ["all of 2024", "2024-W10", "99999", "-"])
def test_assess_refuses_a_period_outside_the_grammar(tmp_path, branch_audit, label):
    csv = tmp_path / "scores.csv"
    csv.write_text("branch,region,date,score\nX,huaian,2024-03-01,89\n")
    code, out, err = branch_audit("assess", "--scores", csv, "--policy", "A", "--period", label)
    assert (code, out) == (2, "")
    assert "is not a year (2026), a quarter (2026-Q1 to 2026-Q4)" in err
