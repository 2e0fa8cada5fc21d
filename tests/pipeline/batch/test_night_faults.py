"""One branch's fault never stops another's night, nor leaves a run row `running`: a
recordings folder that cannot be listed, an evidence store on a full disk, a day another
run took over. The nights run in this process (the inline executor) on small generated
recordings, so each fault is injected where it happens: at the listing of a folder, at
the evidence store's write boundary (pipeline/evidence/store.py temp_file)."""

from __future__ import annotations

import errno
import os
import pathlib
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from pipeline.batch.night import Night, NightReport, plan_night
from pipeline.batch.units import DetectorSpec, UnitSettings
from pipeline.evidence.store import EvidenceStoreError, temp_file
from pipeline.footage.recordings import RecordingsError, find_segments
from pipeline.footage.sampler import SamplingSpec
from pipeline.store import models as m
from pipeline.store.db import Database
from rules.checklist import load_checklist
from tests.support.phone_night import InlineExecutor
from tests.support.recordings import DAY, TZ, at, write_clip
from tests.support.run_site import CHECKLIST

SITE = """\
branch: {{id: {id}, timezone: Asia/Shanghai}}
business_hours: {{mon-sun: ["09:00", "09:00:30"]}}
cameras:
  - id: cam-1
    recordings: {{folder: {folder}, pattern: "cam-1_%Y%m%d_%H%M%S.mp4"}}
    zones: [{{id: post-1, purpose: teller_post, polygon: [[0.2, 0.2], [0.8, 0.2], [0.8, 0.8]]}}]
"""
SETTINGS = UnitSettings(SamplingSpec(rate=1.0), DetectorSpec(phone=None))


def _site(sites: Path, branch: str, folder: str | None = None) -> Path:
    """A branch whose one camera shows an empty post for 30 s: TELLER_ABSENT by the short
    checklist (tests/data/checklists/short-absence.yaml)."""
    folder = folder or f"recordings-{branch}"
    if not (sites / folder).exists():
        write_clip(sites / folder / at(0).strftime("cam-1_%Y%m%d_%H%M%S.mp4"), 30, gop=10)
    path = sites / f"{branch}.yaml"
    path.write_text(SITE.format(id=branch, folder=folder), encoding="utf-8")
    return path


def _night(url: str, files: list[Path], evidence: Path | None = None) -> NightReport:
    checklist = load_checklist(CHECKLIST)
    days, bad = plan_night(files, DAY, SETTINGS, strict=False, checklist=checklist)
    db = Database(url)
    report = Night(db, SETTINGS, checklist, evidence, InlineExecutor()).run(days, DAY)
    report.bad_sites += bad
    db.dispose()
    return report


def _runs(url: str) -> dict[str, tuple[str, dict]]:
    db = Database(url)
    with db.session() as s:
        runs = {r.branch_id: (r.status, r.summary) for r in s.scalars(select(m.Run))}
    db.dispose()
    return runs


def _refuse_listing(monkeypatch, folder: Path) -> None:
    """The folder's listing fails as an unreadable folder's does (tests run as root, whom
    permissions do not stop)."""
    iterdir = pathlib.Path.iterdir

    def refused(self):
        if self == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return iterdir(self)

    monkeypatch.setattr(pathlib.Path, "iterdir", refused)


@pytest.mark.parametrize("fault", ["unreadable", "a file"])
def test_a_folder_that_cannot_be_listed_is_the_camera_s_unknown_day(tmp_path, monkeypatch, fault):
    folder = tmp_path / "cam-1"
    if fault == "a file":
        folder.write_bytes(b"not a folder")
    else:
        folder.mkdir()
        _refuse_listing(monkeypatch, folder)

    with pytest.raises(RecordingsError, match="cannot read recordings folder .*cam-1: "):
        find_segments(folder, "cam-1_%Y%m%d_%H%M%S.mp4", "cam-1", TZ, DAY)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_a_folder_without_read_permission_is_the_camera_s_unknown_day(tmp_path):
    folder = tmp_path / "cam-1"
    folder.mkdir()
    folder.chmod(0)
    try:
        with pytest.raises(RecordingsError, match="Permission denied"):
            find_segments(folder, "cam-1_%Y%m%d_%H%M%S.mp4", "cam-1", TZ, DAY)
    finally:
        folder.chmod(0o755)


def test_an_unreadable_recordings_folder_costs_that_camera_s_day_only(tmp_path, monkeypatch):
    sites = tmp_path / "sites"
    good, locked = _site(sites, "GOOD"), _site(sites, "LOCKED")
    _refuse_listing(monkeypatch, sites / "recordings-LOCKED")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"

    report = _night(url, [good, locked])

    assert set(report.reports) == {"GOOD", "LOCKED"}  # both reviewed and stored
    assert [f["item"] for f in report.reports["GOOD"].findings] == ["TELLER_ABSENT"]
    assert report.reports["GOOD"].complete is True
    lost = report.reports["LOCKED"]
    assert (lost.coverage, lost.complete, lost.findings) == (0.0, False, [])
    [unit] = lost.failed_units
    assert unit.unit == "LOCKED/cam-1/(recordings)"
    assert "cannot read recordings folder" in unit.reason
    assert "Permission denied" in unit.reason
    assert {b: s for b, (s, _) in _runs(url).items()} == {"GOOD": "done", "LOCKED": "done"}
    assert report.exit_status == 0


def _full_disk(monkeypatch) -> None:
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pipeline.evidence.store.tempfile.mkstemp", full)


def test_a_full_evidence_disk_stores_the_findings_without_clips_and_says_so(tmp_path, monkeypatch):
    sites = tmp_path / "sites"
    files = [_site(sites, "ONE"), _site(sites, "TWO", "recordings-ONE")]
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _full_disk(monkeypatch)

    report = _night(url, files, evidence=tmp_path / "evidence")

    assert set(report.reports) == {"ONE", "TWO"}  # the second branch was judged too
    for branch in ("ONE", "TWO"):
        judged = report.reports[branch]
        [finding] = judged.findings
        assert finding["item"] == "TELLER_ABSENT"
        assert (finding["clip"], finding["keyframe"]) == (None, None)
        assert "No space left on device" in judged.evidence_error
        assert "1 finding(s) stored without clips" in judged.evidence_error
    assert [f.branch for f in report.failed] == ["ONE", "TWO"]
    runs = _runs(url)
    assert {b: s for b, (s, _) in runs.items()} == {"ONE": "done", "TWO": "done"}
    assert "No space left on device" in runs["ONE"][1]["evidence_error"]
    assert report.exit_status == 1

    monkeypatch.undo()  # space again: the next run of the date makes the clips
    again = _night(url, files, evidence=tmp_path / "evidence")
    assert again.failed == [] and again.exit_status == 0
    assert all(f["clip"] for r in again.reports.values() for f in r.findings)


@pytest.mark.parametrize(
    ("code", "raised"),
    [
        (errno.ENOSPC, EvidenceStoreError),
        (errno.EDQUOT, EvidenceStoreError),
        (errno.EROFS, EvidenceStoreError),
        (errno.ENOENT, FileNotFoundError),  # e.g. footage gone while a clip is drawn
    ],
)
def test_the_store_boundary_tells_a_full_store_from_other_faults(tmp_path, code, raised):
    with pytest.raises(raised), temp_file(tmp_path, ".mp4"):
        raise OSError(code, os.strerror(code))
    assert list(tmp_path.iterdir()) == []  # no temp file left


class _TakenOver(InlineExecutor):
    """The run is frozen past its lease before its units come back: another run takes
    the day (as after STALE without heartbeats), and the frozen one's heartbeat, beating
    again, finds it lost (pipeline/store/leases.py renew); or, not beating yet, the
    night finds it lost before it judges the day."""

    def __init__(self, url: str, beat: bool) -> None:
        self.url, self.beat, self.night = url, beat, None

    def run(self, units):
        db = Database(self.url)
        with db.session() as s:
            s.execute(update(m.RunLease).values(holder="elsewhere:4242:0badcafe",
                                               acquired_at=datetime.now(UTC)))  # fmt: skip
        db.dispose()
        if self.beat:
            self.night.leases.renew()
        yield from super().run(units)


@pytest.mark.parametrize("beat", [True, False], ids=["beat before results", "no beat yet"])
def test_a_run_frozen_past_its_lease_exits_1_with_the_day_skipped(tmp_path, beat):
    sites = tmp_path / "sites"
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    checklist = load_checklist(CHECKLIST)
    days, _ = plan_night([_site(sites, "FROZEN")], DAY, SETTINGS, strict=True)
    db = Database(url)
    executor = _TakenOver(url, beat)
    night = executor.night = Night(db, SETTINGS, checklist, None, executor)

    report = night.run(days, DAY)

    assert report.reports == {}
    assert [asdict(d) for d in report.skipped] == [
        {"branch": "FROZEN", "date": DAY.isoformat(), "holder": "elsewhere:4242:0badcafe",
         "since": report.skipped[0].since, "lost": True}
    ]  # fmt: skip
    assert report.failed[0].reason.startswith("lease lost")
    assert report.exit_status == 1
    with db.session() as s:
        assert [r.status for r in s.scalars(select(m.Run))] == ["interrupted"]
        assert s.scalars(select(m.Finding)).all() == []  # it never judged the other's day
        if beat:  # the results it made after losing the day are the other run's to make
            assert s.scalars(select(m.WorkUnit)).all() == []
    db.dispose()


def test_a_database_away_past_every_retry_is_one_line(tmp_path, monkeypatch, capsys):
    from sqlalchemy.exc import OperationalError

    from cli import main as cli

    site = _site(tmp_path / "sites", "AWAY")

    def away(self, days, on):
        raise OperationalError("INSERT …", {}, Exception("server closed the connection"))

    monkeypatch.setattr(Night, "run", away)
    status = cli.main(["run", "--site", str(site), "--date", DAY.isoformat(), "--no-evidence",
                       "--db", f"sqlite:///{tmp_path / 'db.sqlite'}"])  # fmt: skip

    assert status == 2
    err = capsys.readouterr().err
    assert "database " in err and " lost: server closed the connection; run the date again" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
