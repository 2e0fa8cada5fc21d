"""`site check`: what a bank engineer verifies before the first night.

Per camera: the files its pattern matches for a date and the ones it skips with why
(pipeline/footage/recordings.py), and one picture of a real frame of its recordings with
its zones drawn and labelled where their polygons say, as the night and the evidence
draw them (pipeline/evidence/overlay.py), at the picture's own aspect. The admin's zone
editor (api/routes/zone_editor.py) shows the same frame, the zones drawn by the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
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
    try:
        still = first_still(found.segments)
    except NoStill as exc:
        return CameraCheck(camera.id, found.segments, found.skipped, None, None, str(exc))
    picture = out / f"{camera.id}.png"
    caption = f"{camera.id}  {still.segment.path.name}  {still.t:%Y-%m-%d %H:%M:%S}"
    image = draw_zones(still.frame, camera, annotator, caption)
    cv2.imwrite(str(picture), displayed(image, still.aspect))
    return CameraCheck(camera.id, found.segments, found.skipped, None, picture)


@dataclass(frozen=True)
class Still:
    """A real frame of a camera's recordings: what zones are placed on."""

    frame: np.ndarray  # BGR, the recording's pixels as stored
    aspect: float  # a stored pixel's width over its height (pipeline/footage/sampler.py)
    segment: Segment
    t: datetime  # on the branch's clock

    @property
    def picture(self) -> np.ndarray:
        """The frame as people see it, at the picture's own aspect."""
        return displayed(self.frame, self.aspect)


class NoStill(Exception):
    """No frame of the camera's recordings for the day could be had; the message says why."""


def first_still(segments: tuple[Segment, ...]) -> Still:
    """The first frame that decodes in the first seconds of the first readable file."""
    readable = [s for s in segments if not s.error]
    for segment in readable:
        window = (segment.start, segment.start + timedelta(seconds=LOOK_S))
        sample = next(sample_window((segment,), window, SamplingSpec(1.0)), None)
        if sample is not None:
            return Still(sample.frame, sample.aspect, segment, sample.t)
    raise NoStill("no readable file for this date" if not readable else "no frame could be decoded")


def camera_still(site: Site, camera: Camera, day: date) -> Still:
    """A still of `camera` on `day` from its recordings (the zone editor's picture, the
    same frame `site check` draws the zones on)."""
    folder = site.resolve(camera.recordings.folder)
    try:
        found = find_segments(folder, camera.file_pattern, camera.id, site.tz, day)
    except RecordingsError as exc:
        raise NoStill(str(exc)) from None
    return first_still(found.segments)


def draw_zones(
    frame: np.ndarray, camera: Camera, annotator: ZoneAnnotator, caption: str
) -> np.ndarray:
    """The camera's zones on `frame`, each labelled with its id, coloured by purpose."""
    size = (frame.shape[1], frame.shape[0])
    zones = [
        PixelZone.from_normalized(z.id, z.purpose, z.polygon, size, z.anchor) for z in camera.zones
    ]
    return annotator.draw(frame, zones, None, None, caption)
