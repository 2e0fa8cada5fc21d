"""MoveNet's input on staff crops: keypoints and posture cues at each size against 256 square.

    PYTHONPATH=. .venv/bin/python benchmarks/pose_input.py [--every 2] [--sizes 224 192 160 128]

The phone stage runs MoveNet MultiPose on each staff person's upper-body crop
(detectors/phone.py); its cost grows with the input's pixels. For every person the
shipped detector finds in the real clips (one-by-one: a person at a table; vtest:
pedestrians; carphone: a man in a car), the crop is posed at 256 on a square canvas (the reference) and at
each smaller size, on the smallest canvas of 32-multiples around the scaled crop ("fitted",
as detectors/backends/movenet.py runs it). Prints, per size: milliseconds per pose (one thread), the share of
crops where both sizes find a pose or both find none, the share of the reference's seen
keypoints also seen, their median distance in shoulder widths, the share of seen wrists
within the hand cue's reach (0.8 shoulder widths, detectors/phone.py) of the reference's,
and the share of crops with the same posture cue (detectors/pose.py).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from benchmarks.clips import clip_path, samples
from detectors.backends.movenet import K, MoveNetMultiPose
from detectors.phone import PhoneStageSettings, upper_body_crop
from detectors.pose import PoseCueSettings, posture
from detectors.registry import load_detector

CLIPS = {
    "one-by-one-person-detection.mp4": 1.0,
    "vtest.avi": 2.0,
    "carphone": 0.2,
}
WRISTS = (K["left_wrist"], K["right_wrist"])


def _main_pose(model: MoveNetMultiPose, crop: np.ndarray):
    poses = model.poses(crop)
    return max(poses, key=lambda p: float(p.score.sum())) if poses else None


def _shoulder_width(pose) -> float | None:
    ls, rs = K["left_shoulder"], K["right_shoulder"]
    if min(pose.score[ls], pose.score[rs]) < PoseCueSettings().min_keypoint:
        return None
    return max(float(np.linalg.norm(pose.xy[ls] - pose.xy[rs])), 8.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[224, 192, 160, 128])
    ap.add_argument("--scale", type=float, default=1.0, help="sampling interval factor")
    args = ap.parse_args()
    detector = load_detector("onnx", threads=1)
    stage = PhoneStageSettings()
    cue = PoseCueSettings()
    models = {"256 square": MoveNetMultiPose(threads=1, square=True)}
    models |= {f"{n} fitted": MoveNetMultiPose(threads=1, input_size=n) for n in [256, *args.sizes]}
    crops = []
    for clip, every in CLIPS.items():
        try:
            path = clip_path(clip)
        except OSError as exc:
            print(f"{clip}: skipped ({exc})")
            continue
        for _, frame in samples(path, every * args.scale):
            size = (frame.shape[1], frame.shape[0])
            persons = detector.detect(frame).in_group("person").with_min_confidence(0.4)
            for box in persons.xyxy:
                if box[3] - box[1] < stage.min_person_px:
                    continue
                x1, y1, x2, y2 = upper_body_crop(box, size)
                crops.append(frame[y1:y2, x1:x2].copy())
    print(f"{len(crops)} upper-body crops of persons ≥ {stage.min_person_px} px\n")
    ms, ref = {}, {}
    for n, model in models.items():
        t0 = time.process_time()
        ref[n] = [_main_pose(model, c) for c in crops]
        ms[n] = 1000 * (time.process_time() - t0) / max(len(crops), 1)
    print(
        "| input | ms per pose | same found/none | ref keypoints seen | median offset "
        "(shoulder widths) | wrists within reach | same posture cue |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in models:
        same, seen, total, offsets, wr_in, wr_all, cue_same = 0, 0, 0, [], 0, 0, 0
        for a, b in zip(ref["256 square"], ref[n], strict=True):
            same += (a is None) == (b is None)
            ca = posture(a, cue) if a is not None else None
            cb = posture(b, cue) if b is not None else None
            cue_same += ca == cb
            if a is None or b is None:
                continue
            sw = _shoulder_width(a)
            for i in range(17):
                if a.score[i] < cue.min_keypoint:
                    continue
                total += 1
                if b.score[i] >= cue.min_keypoint:
                    seen += 1
                    if sw:
                        d = float(np.linalg.norm(a.xy[i] - b.xy[i])) / sw
                        offsets.append(d)
                        if i in WRISTS:
                            wr_all += 1
                            wr_in += d <= stage.hand_reach
        k = len(crops) or 1
        print(
            f"| {n} | {ms[n]:.1f} | {same / k:.0%} | {seen / max(total, 1):.0%} "
            f"| {statistics.median(offsets) if offsets else float('nan'):.2f} "
            f"| {wr_in / max(wr_all, 1):.0%} | {cue_same / k:.0%} |"
        )


if __name__ == "__main__":
    main()
