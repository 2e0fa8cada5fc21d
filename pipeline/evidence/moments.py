"""What a clip of one moment of a finding needs from its branch's site: the camera's
recordings of the day and its zones, found again from the site file the nightly run
stored with the branch (the review server reads the same recordings folder)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from pipeline.evidence.clips import EvidenceError, EvidenceRequest
from pipeline.footage.recordings import RecordingsError, find_segments
from pipeline.site import SiteError, load_site, zone_specs


def moment_request(
    site_path: str,
    finding_id: str,
    item: str,
    camera_id: str,
    zone_id: str,
    day: date,
    at: datetime,
) -> EvidenceRequest:
    """The request of a clip around `at`; EvidenceError says why the recordings cannot be
    reached (no site file stored, the file or the camera's folder gone)."""
    if not site_path:
        raise EvidenceError("the branch's site file is not known to this server")
    try:
        site = load_site(Path(site_path))
        camera = site.camera(camera_id)
        day_files = find_segments(
            site.resolve(camera.recordings.folder), camera.file_pattern, camera.id, site.tz, day
        )
        zones = tuple(zone_specs(site, camera))
    except (SiteError, RecordingsError) as exc:
        raise EvidenceError(str(exc)) from None
    return EvidenceRequest(
        finding_id=finding_id,
        item=item,
        camera=camera_id,
        zone_id=zone_id,
        start=at,
        end=at,
        keytime=at,
        segments=day_files.segments,
        zones=zones,
    )
