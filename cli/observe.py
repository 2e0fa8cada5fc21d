"""`branch-audit observe`: per-zone observations of one video, to check a site's zones."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from tqdm import tqdm

from cli.main import UserError
from cli.options import add_model_options, model_config, phone_settings
from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from detectors.observer import STAFF_PURPOSES
from detectors.registry import load_detector
from pipeline.evidence.overlay import ZoneAnnotator
from pipeline.evidence.video_writer import H264Writer
from pipeline.footage.sampler import VideoError
from pipeline.single_video import observe_video, video_origin
from pipeline.site import load_site
from rules.calendar import BusinessDay
from rules.checklist import load_checklist
from rules.temporal import judge_day


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("observe", help="per-zone observations of a video under a site's zones")
    p.add_argument("video", type=Path)
    p.add_argument("--site", type=Path, required=True, help="site file (YAML)")
    p.add_argument("--camera", required=True, help="camera id in the site file")
    p.add_argument("--fps", type=float, default=0.5, help="samples per second (default 0.5)")
    p.add_argument("--json", action="store_true", help="one JSON object per sample")
    p.add_argument(
        "--annotate", type=Path, metavar="OUT.mp4", help="write an annotated H.264 video"
    )
    add_model_options(p)
    p.set_defaults(func=run)


def zone_fields(obs: ZoneObservation) -> dict:
    """The fields of a zone's observation that its purpose uses."""
    out: dict = {"persons": obs.persons}
    if obs.purpose in STAFF_PURPOSES:
        out |= {
            "present": obs.present,
            "phone": obs.phone,
            "phone_conf": round(obs.phone_conf, 3),
            "phone_cues": obs.phone_cues,
        }
        if obs.hand_raised is not None:
            out["hand_raised"] = obs.hand_raised
    elif obs.purpose is ZonePurpose.GUARD:
        out["present"] = obs.present
    elif obs.purpose is ZonePurpose.COUNTER_SURFACE:
        out |= {"clutter": obs.clutter, "clutter_objects": obs.clutter_objects}
    return out


def phone_findings(observations: list[FrameObservation], origin: datetime) -> list[dict]:
    """PHONE_USE findings of the video, by the rules engine's own trigger (≥ 10 s in 30 s),
    each with the cues its supporting samples agreed on most often."""
    if not observations:
        return []
    checklist = load_checklist()
    item = checklist.item("PHONE_USE")
    end = observations[-1].t + timedelta(seconds=1)
    day = BusinessDay(origin.date(), origin, max(end, origin + timedelta(seconds=1)))
    judgement = judge_day(
        observations, day, checklist.model_copy(update={"items": (item,)}), branch="observe"
    )
    cues = {(o.t, z.zone_id): z.phone_cues for o in observations for z in o.zones.values()}
    out = []
    for f in judgement.findings:
        seen = Counter(cues.get((t, f.zone), "") for t in f.support)
        out.append({
            "item": f.item,
            "zone": f.zone,
            "start_s": round((f.start - origin).total_seconds(), 1),
            "end_s": round((f.end - origin).total_seconds(), 1),
            "confidence": round(f.confidence, 2),
            "cues": seen.most_common(1)[0][0] if seen else "",
        })  # fmt: skip
    return out


def run(args: argparse.Namespace) -> int:
    site = load_site(args.site)
    camera = site.camera(args.camera)
    if not camera.zones:
        raise UserError(f"camera {camera.id} has no zones in {args.site}")
    if not args.video.is_file():
        raise UserError(f"{args.video}: no such file")
    models = model_config(args)
    detector = load_detector(models.backend, models.weights)
    analyzer, observed = observe_video(
        args.video, site, camera.id, detector, args.fps, models.gate, phone_settings(args)
    )
    annotator = ZoneAnnotator(load_checklist())
    observations: list[FrameObservation] = []
    writer = H264Writer(args.annotate, fps=max(args.fps, 1.0)) if args.annotate else None
    try:
        for o in tqdm(observed, desc=f"observe {camera.id}", unit="sample", disable=args.json):
            observations.append(o.result.observation)
            zones = o.result.observation.zones
            if args.json:
                fields = {k: zone_fields(v) for k, v in zones.items()}
                print(json.dumps({"t": round(o.pts, 3), "zones": fields}), flush=True)
            if writer:
                frame = o.sample.frame
                writer.write(
                    annotator.draw(
                        frame,
                        analyzer.observer.pixel_zones((frame.shape[1], frame.shape[0])),
                        o.result.observation,
                        o.result.detections,
                        caption=f"t={o.pts:.1f}s",
                    )
                )
    except VideoError as exc:
        raise UserError(str(exc)) from exc
    finally:
        if writer:
            writer.close()
    if analyzer.frames == 0:
        raise UserError(f"{args.video}: no frames could be decoded")
    for f in phone_findings(observations, video_origin(site)):
        print(
            f"{f['item']} {f['zone']}: {f['start_s']}–{f['end_s']} s, confidence "
            f"{f['confidence']}, cues {f['cues'] or '-'}",
            file=sys.stderr,
        )
    print(
        f"{analyzer.frames} samples, detector ran on {analyzer.inferences} "
        f"({analyzer.frames - analyzer.inferences} reused by motion gating)"
        + (f"; annotated video: {args.annotate}" if writer else ""),
        file=sys.stderr,
    )
    return 0
