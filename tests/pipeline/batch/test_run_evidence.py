"""Evidence for every finding, made once: paths relative to the evidence root on the
finding rows, and clips that decode as H.264 when the evidence module is present."""

import importlib.util
import shutil
import sys
import types
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import av
import cv2
import pytest
from sqlalchemy import select

from cli import main as cli
from pipeline.store import models as m
from pipeline.store.db import Database
from tests.support.run_site import BRANCH, REPO, STARTS, at, run_args


def _copy_db(reference_run, tmp_path) -> str:
    shutil.copy(reference_run[1], tmp_path / "copy.db")
    return f"sqlite:///{tmp_path / 'copy.db'}"


def _stand_in(requests: list, fail: set[str]) -> types.ModuleType:
    """pipeline.evidence's API until it is merged: records requests, writes marker files."""
    module = types.ModuleType("pipeline.evidence")

    @dataclass(frozen=True)
    class EvidenceRequest:
        finding_id: str
        item: str
        camera: str
        zone_id: str
        start: datetime
        end: datetime
        keytime: datetime
        segments: tuple
        zones: tuple

    @dataclass(frozen=True)
    class Evidence:
        clip: str
        keyframe: str

    class EvidenceError(Exception):
        pass

    def write_evidence(req, detector, root, **_):
        requests.append(req)
        if req.finding_id in fail:
            raise EvidenceError("no frames")
        paths = [Path(req.camera) / f"{req.finding_id}{ext}" for ext in (".mp4", ".jpg")]
        for path in paths:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_bytes(b"x")
        return Evidence(*map(str, paths))

    module.EvidenceRequest, module.Evidence = EvidenceRequest, Evidence
    module.EvidenceError, module.write_evidence = EvidenceError, write_evidence
    return module


def _run(capsys, site, url, root) -> None:
    assert cli.main(run_args(site, url, "--evidence", str(root))) == 0
    capsys.readouterr()


def test_evidence_is_requested_once_per_finding_and_stored(
    reference_run, tmp_path, monkeypatch, capsys
):
    site, _, reference = reference_run
    findings = reference["branches"][BRANCH]["findings"]
    requests: list = []
    fail = {findings[-1]["id"]}
    cli.build_parser()  # the commands' own imports of pipeline.evidence, before the stand-in
    monkeypatch.setitem(sys.modules, "pipeline.evidence", _stand_in(requests, fail))
    url, root = _copy_db(reference_run, tmp_path), tmp_path / "evidence"

    _run(capsys, site, url, root)

    assert [r.finding_id for r in requests] == [f["id"] for f in findings]
    for req, finding in zip(requests, findings, strict=True):
        start, end = (
            datetime.fromisoformat(finding["start"]),
            datetime.fromisoformat(finding["end"]),
        )
        assert (req.item, req.camera, req.zone_id, req.start, req.end) == (
            "TELLER_ABSENT", "post", "post-1", start, end,
        )  # fmt: skip
        assert start <= req.keytime <= end
        assert [s.start for s in req.segments] == [at(t) for t in STARTS]  # the camera-day
        assert [z.zone_id for z in req.zones] == ["post-1"]
    db = Database(url)
    with db.session() as s:
        rows = {r.id: r for r in s.scalars(select(m.Finding))}
    failed = rows.pop(*fail)
    assert failed.clip is None  # its failure cost only its own clip
    assert failed.evidence_note == "no frames"  # and says why, for its page
    assert all((root / r.clip).is_file() and (root / r.keyframe).is_file() for r in rows.values())

    (root / next(iter(rows.values())).clip).unlink()
    requests.clear()
    _run(capsys, site, url, root)

    # only the finding whose clip went missing and the one that failed are asked again
    assert {r.finding_id for r in requests} == {next(iter(rows)), *fail}
    db.dispose()


def _merged() -> bool:
    """pipeline.evidence in this checkout (an editable install may find another one)."""
    spec = importlib.util.find_spec("pipeline.evidence")
    return spec is not None and Path(spec.origin).is_relative_to(REPO)


@pytest.mark.skipif(not _merged(), reason="evidence module not merged yet")
def test_evidence_clips_decode_as_h264(reference_run, tmp_path, capsys):
    site = reference_run[0]
    url, root = _copy_db(reference_run, tmp_path), tmp_path / "evidence"

    _run(capsys, site, url, root)

    db = Database(url)
    with db.session() as s:
        rows = s.scalars(select(m.Finding)).all()
        gaps = [(g.camera_id, g.start, g.end) for g in s.scalars(select(m.CoverageGap))]
    db.dispose()
    assert rows
    for row in rows:
        # a finding may bridge a short hole (docs/scoring.md, "One incident across a short hole"):
        # the clip shows its known time
        unseen = sum(
            max(0.0, (min(b, row.end) - max(a, row.start)).total_seconds())
            for camera, a, b in gaps
            if camera in row.cameras
        )
        with av.open(str(root / row.clip)) as clip:
            stream = clip.streams.video[0]
            assert stream.codec_context.name == "h264"
            frames = sum(1 for _ in clip.decode(stream))
        # the finding's whole time (these are shorter than a clip part) at 5 frames/s
        assert frames >= 5 * (row.duration_s - unseen) * 0.9
        assert cv2.imread(str(root / row.keyframe)) is not None
