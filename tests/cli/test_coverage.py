import json
import shutil
from datetime import datetime

import pytest

from cli import main as cli
from tests.support.recordings import at

SITE = """
branch: {{id: JS-HA-001, name: test, region: huaian, timezone: Asia/Shanghai}}
business_hours:
  mon-fri: ["09:00", "09:01:40"]
  sat: ["09:30", "16:00"]
cameras:
  - id: cam-1
    role: counter
    recordings: {{folder: {folder}, pattern: "{{camera}}_%Y%m%d_%H%M%S.mp4"}}
  - id: lobby-1
    role: lobby
    recordings: {{folder: missing/lobby-1, pattern: "lobby-1_%Y%m%d_%H%M%S.mp4"}}
"""


@pytest.fixture
def site(recordings, tmp_path, monkeypatch):
    # register only the command under test
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("cli.coverage",))
    path = tmp_path / "site.yaml"
    path.write_text(SITE.format(folder=recordings), encoding="utf-8")
    return path


def test_json_lists_gaps_within_business_hours(site, capsys):
    status = cli.main(["coverage", "--site", str(site), "--date", "2024-05-06", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 1  # one camera has no recordings folder
    assert (doc["branch"], doc["date"]) == ("JS-HA-001", "2024-05-06")
    cam = doc["cameras"]["cam-1"]
    assert cam["segments"] == 4
    reasons = [(g["start"], g["end"], g["reason"]) for g in cam["gaps"]]
    assert reasons[0] == (at(30).isoformat(), at(40).isoformat(), "no file")
    assert reasons[1][1:] == (at(95).isoformat(), "truncated")
    assert reasons[2] == (at(95).isoformat(), at(100).isoformat(), "no file")
    gap_s = sum(
        (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()
        for a, b, _ in reasons
    )
    assert cam["observed_s"] == pytest.approx(100 - gap_s, abs=0.01)
    lobby = doc["cameras"]["lobby-1"]
    assert "folder not found" in lobby["error"] and lobby["gaps"][0]["reason"] == "no file"


def test_table_and_closed_day(site, capsys):
    cli.main(["coverage", "--site", str(site), "--date", "2024-05-06"])
    out = capsys.readouterr().out
    assert "cam-1" in out and "09:00:30 - 09:00:40  no file" in out and "truncated" in out
    cli.main(["coverage", "--site", str(site), "--date", "2024-05-05"])  # a Sunday
    assert "closed" in capsys.readouterr().out


def test_bad_site_file_is_a_user_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("cli.coverage",))
    (tmp_path / "site.yaml").write_text("branch: {id: X}\n", encoding="utf-8")
    assert (
        cli.main(["coverage", "--site", str(tmp_path / "site.yaml"), "--date", "2024-05-06"]) == 2
    )
    assert "cameras: is required" in capsys.readouterr().err


def _cam(site, capsys, *extra) -> dict:
    cli.main(["coverage", "--site", str(site), "--date", "2024-05-06", "--json", *extra])
    return json.loads(capsys.readouterr().out)["cameras"]["cam-1"]


def test_reading_packets_equals_decoding_except_for_decode_errors(
    site, recordings, tmp_path, capsys
):
    # a hole, an overlap and a file cut to half: the packets tell what the frames tell
    read, decoded = _cam(site, capsys), _cam(site, capsys, "--decode")
    assert read == decoded
    assert read["observed_pct"] == pytest.approx(read["observed_s"], abs=0.1)  # of 100 s

    # a file zeroed in its middle: only decoding sees the damage, and says where
    damaged = tmp_path / "damaged"
    shutil.copytree(recordings, damaged)
    first = sorted(damaged.iterdir())[0]
    data = bytearray(first.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 2000] = bytes(2000)
    first.write_bytes(data)
    site.write_text(SITE.format(folder=damaged), encoding="utf-8")
    read, decoded = _cam(site, capsys), _cam(site, capsys, "--decode")
    errors = [g for g in decoded["gaps"] if g["reason"] == "decode error"]
    assert errors and not any(g["reason"] == "decode error" for g in read["gaps"])
    assert [g for g in decoded["gaps"] if g not in errors] == read["gaps"]
    lost = sum(
        (datetime.fromisoformat(g["end"]) - datetime.fromisoformat(g["start"])).total_seconds()
        for g in errors
    )
    assert read["observed_s"] == pytest.approx(decoded["observed_s"] + lost, abs=0.01)


def test_progress_goes_to_stderr(site, capsys):
    cli.main(["coverage", "--site", str(site), "--date", "2024-05-06"])
    captured = capsys.readouterr()
    assert "[1/2] cam-1: reading" in captured.err and "[2/2] lobby-1" in captured.err
    assert "%" in captured.out and "not decoded" in captured.out
