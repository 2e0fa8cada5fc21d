"""A candidate crop keeps the teller sharp and blurs the customers beside them, as evidence
does: on a real frame of a crowd (vtest.avi), through the real detector and observer."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np

from detectors.analyzer import CameraAnalyzer
from detectors.observations import ZonePurpose
from detectors.observer import ZoneObserver, ZoneSpec
from detectors.phone import PhoneStage, PhoneStageSettings
from detectors.registry import load_detector
from detectors.zones import Anchor
from pipeline.batch.candidates import CandidateCollector
from pipeline.evidence.privacy import customer_heads
from tests.conftest import footage_file
from tests.support.phone_night import ScriptedPalms, ScriptedPhones

T = datetime(2026, 11, 2, 2, tzinfo=UTC)
FRAME = 25  # a walker (the "teller" here) with another's head beside theirs
# a teller post around the walker's feet only (x 689-728 px, feet at y 358 of 768×576)
POST = ZoneSpec(
    "post-1",
    ZonePurpose.TELLER_POST,
    ((0.89, 0.58), (0.96, 0.58), (0.96, 0.66), (0.89, 0.66)),
    anchor=Anchor.FEET,
)


def test_customers_heads_are_blurred_in_the_crop_and_the_teller_stays_sharp():
    capture = cv2.VideoCapture(str(footage_file("vtest.avi")))
    capture.set(cv2.CAP_PROP_POS_FRAMES, FRAME)
    ok, frame = capture.read()
    assert ok
    stage = PhoneStage(
        PhoneStageSettings(min_person_px=0), detector=ScriptedPhones(), palm_model=ScriptedPalms()
    )
    observer = ZoneObserver("cam", [POST], phone_stage=stage)
    analyzer = CameraAnalyzer(load_detector(), observer)
    result = analyzer.analyze(T, frame)
    assert result.observation.zones["post-1"].present
    collector = CandidateCollector("cam")
    collector.offer(T, frame, result, observer)
    (kept,) = collector.images()
    crop = cv2.imdecode(np.frombuffer(kept.jpeg, np.uint8), cv2.IMREAD_COLOR)

    # where the crop sits in the frame: the best match of the unblurred frame
    scores = cv2.matchTemplate(frame, crop, cv2.TM_SQDIFF)
    x0, y0 = cv2.minMaxLoc(scores)[2]
    original = frame[y0 : y0 + kept.height, x0 : x0 + kept.width].astype(int)
    size = (frame.shape[1], frame.shape[0])
    heads = customer_heads(result.detections, observer.pixel_zones(size), size)
    inside = [
        (max(a - x0, 0), max(b - y0, 0), min(c - x0, kept.width), min(d - y0, kept.height))
        for a, b, c, d in heads
    ]
    inside = [r for r in inside if r[2] - r[0] > 4 and r[3] - r[1] > 4]
    assert inside, "a customer's head lies in the teller's crop"
    mask = np.zeros(crop.shape[:2], bool)
    for x1, y1, x2, y2 in inside:
        mask[y1:y2, x1:x2] = True
        blurred = np.abs(crop[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2]).mean()
        assert blurred > 8  # the customer's head is not what the camera saw
    sharp = np.abs(crop.astype(int) - original)[~mask].mean()
    assert sharp < 3  # the rest, the teller included, is (up to JPEG)
    assert kept.persons  # and their boxes go with it, for the dataset's person labels
