"""`branch-audit observe`: per-zone observations of one video, to check a site's zones."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from detectors.base import BACKENDS, load_detector
from detectors.motion import MotionGate
from detectors.observations import ZoneObservation, ZonePurpose
from detectors.observer import STAFF_PURPOSES
from pipeline.cli import UserError
from pipeline.evaluation import observe_video
from pipeline.overlay import draw_overlay
from pipeline.sampler import VideoError
from pipeline.site import load_site
from pipeline.video_writer import H264Writer


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
    p.add_argument("--no-gate", action="store_true", help="run the detector on every sample")
    p.add_argument("--backend", choices=BACKENDS, default="onnx")
    p.add_argument("--weights", help="model file for the backend")
    p.set_defaults(func=run)


def zone_fields(obs: ZoneObservation) -> dict:
    """The fields of a zone's observation that its purpose uses."""
    out: dict = {"persons": obs.persons}
    if obs.purpose in STAFF_PURPOSES:
        out |= {"present": obs.present, "phone": obs.phone, "phone_conf": round(obs.phone_conf, 3)}
    elif obs.purpose is ZonePurpose.COUNTER_SURFACE:
        out |= {"clutter": obs.clutter, "clutter_objects": obs.clutter_objects}
    return out


def run(args: argparse.Namespace) -> int:
    site = load_site(args.site)
    camera = site.camera(args.camera)
    if not camera.zones:
        raise UserError(f"camera {camera.id} has no zones in {args.site}")
    if not args.video.is_file():
        raise UserError(f"{args.video}: no such file")
    gate = None if args.no_gate else MotionGate()
    detector = load_detector(args.backend, args.weights)
    analyzer, observed = observe_video(args.video, site, camera.id, detector, args.fps, gate)
    writer = H264Writer(args.annotate, fps=max(args.fps, 1.0)) if args.annotate else None
    try:
        for o in tqdm(observed, desc=f"observe {camera.id}", unit="sample", disable=args.json):
            zones = o.result.observation.zones
            if args.json:
                fields = {k: zone_fields(v) for k, v in zones.items()}
                print(json.dumps({"t": round(o.pts, 3), "zones": fields}), flush=True)
            if writer:
                frame = o.sample.frame
                writer.write(
                    draw_overlay(
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
    print(
        f"{analyzer.frames} samples, detector ran on {analyzer.inferences} "
        f"({analyzer.frames - analyzer.inferences} reused by motion gating)"
        + (f"; annotated video: {args.annotate}" if writer else ""),
        file=sys.stderr,
    )
    return 0
