"""`site check`: what a bank engineer verifies before the first night.

Per camera: the files its pattern matches for a date and the ones it skips with why
(pipeline/footage/recordings.py), and one picture of a real frame of its recordings with
its zones drawn and labelled where their polygons say, as the night and the evidence
draw them (pipeline/evidence/overlay.py), at the picture's own aspect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import cv2
import numpy as np

from detectors.zones import PixelZone
from pipeline.evidence.clips import displayed
from pipeline.evidence.overlay import ZoneAnnotator
from pipeline.footage.recordings import RecordingsError, Segment, Skipped, find_segments
from pipeline.footage.sampler import SamplingSpec
from pipeline.footage.window import sample_window
from pipeline.site import Camera, Site
from rules.checklist import load_checklist

LOOK_S = 10.0  # seconds into a file searched for a frame that decodes


@dataclass(frozen=True)
class CameraCheck:
    camera: str
    segments: tuple[Segment, ...]
    skipped: tuple[Skipped, ...]
    error: str | None  # the folder is missing or nothing matches
    picture: Path | None  # the zones on a real frame
    picture_note: str | None = None  # why there is no picture


def check_site(site: Site, day: date, out: Path) -> list[CameraCheck]:
    """Every camera's files for `day`, and its picture written under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    annotator = ZoneAnnotator(load_checklist())
    return [_camera(site, camera, day, out, annotator) for camera in site.cameras]


def _camera(
    site: Site, camera: Camera, day: date, out: Path, annotator: ZoneAnnotator
) -> CameraCheck:
    folder = site.resolve(camera.recordings.folder)
    try:
        found = find_segments(folder, camera.file_pattern, camera.id, site.tz, day)
    except RecordingsError as exc:
        return CameraCheck(camera.id, (), (), str(exc), None, "no recordings")
    readable = [s for s in found.segments if not s.error]
    for segment in readable:
        window = (segment.start, segment.start + timedelta(seconds=LOOK_S))
        sample = next(sample_window((segment,), window, SamplingSpec(rate=1.0)), None)
        if sample is None:
            continue
        picture = out / f"{camera.id}.png"
        caption = f"{camera.id}  {segment.path.name}  {sample.t:%Y-%m-%d %H:%M:%S}"
        image = draw_zones(sample.frame, camera, annotator, caption)
        cv2.imwrite(str(picture), displayed(image, sample.aspect))
        return CameraCheck(camera.id, found.segments, found.skipped, None, picture)
    note = "no readable file for this date" if not readable else "no frame could be decoded"
    return CameraCheck(camera.id, found.segments, found.skipped, None, None, note)


def draw_zones(
    frame: np.ndarray, camera: Camera, annotator: ZoneAnnotator, caption: str
) -> np.ndarray:
    """The camera's zones on `frame`, each labelled with its id, coloured by purpose."""
    size = (frame.shape[1], frame.shape[0])
    zones = [
        PixelZone.from_normalized(z.id, z.purpose, z.polygon, size, z.anchor) for z in camera.zones
    ]
    return annotator.draw(frame, zones, None, None, caption)
