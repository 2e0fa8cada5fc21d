"""The phone stage with stand-in models: crop and window geometry, the size check, reuse
of still persons, near misses, and where the observer asks it."""

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors.backends.palm import Palm
from detectors.detections import COCO80, Detections
from detectors.observations import ZonePurpose
from detectors.observer import ZoneObserver, ZoneSpec
from detectors.phone import (
    PhoneStage,
    PhoneStageSettings,
    hand_window,
    phone_sized,
    upper_body_crop,
)

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
PERSON, PHONE = COCO80.index("person"), COCO80.index("cell phone")
W, H = 1920, 1080
TELLER = [100.0, 60.0, 400.0, 660.0]  # frame pixels of a 1080p frame
CROP = upper_body_crop(TELLER, (W, H))  # (25, 30, 475, 540)
#: the teller's right hand in front of the chest: a 40 px palm, its hand centred at (250, 400)
PALM = Palm((230.0, 380.0, 270.0, 420.0), 0.7, (250.0, 400.0))


class CountingDetector:
    """Records the windows it is given; finds a phone at a fixed place in window pixels."""

    version = "fake-window"
    class_names = COCO80

    def __init__(self, box=None, score=0.6):
        self.crops: list[np.ndarray] = []
        self.box, self.score = box, score

    def detect(self, frame):
        self.crops.append(frame)
        if self.box is None:
            return Detections.empty()
        return Detections.from_arrays([self.box], [self.score], [PHONE])


class FixedPalms:
    """A palm model that sees the given palms (frame pixels) in every crop, in its pixels."""

    version = "fake-palms"

    def __init__(self, *palms: Palm):
        self.frame_palms, self.crops = list(palms), []

    def palms(self, crop, min_score=0.4):
        self.crops.append(crop)
        x, y = CROP[:2]
        return [p.shifted(-x, -y) for p in self.frame_palms if p.score >= min_score]


def frame(moved=False):
    """Noise; `moved`: the teller's upper body changed."""
    img = np.random.default_rng(0).integers(0, 255, (H, W, 3), np.uint8)
    if moved:
        img[100:300, 150:350] = 255
    return img


def stage(detector, palms=None, **settings):
    palms = palms if palms is not None else FixedPalms(PALM)
    return PhoneStage(PhoneStageSettings(**settings), detector=detector, palm_model=palms)


def persons(*boxes):
    return Detections.from_arrays(boxes, [0.9] * len(boxes), [PERSON] * len(boxes))


def test_window_is_six_palms_square_around_the_hand_clipped_to_the_frame():
    assert hand_window(PALM, 6.0, (W, H)) == (130, 280, 370, 520)
    assert hand_window(PALM, 4.0, (W, H)) == (170, 320, 330, 480)
    corner = Palm((0.0, 0.0, 40.0, 40.0), 0.7, (10.0, 15.0))
    assert hand_window(corner, 6.0, (W, H)) == (0, 0, 130, 135)  # letterboxed later
    speck = Palm((5.0, 5.0, 6.0, 6.0), 0.7, (5.5, 5.5))
    assert hand_window(speck, 6.0, (W, H)) is None


@pytest.mark.parametrize(
    ("box", "ok"),
    [
        ((0, 0, 24, 10), True),  # 0.6 palm lengths
        ((0, 0, 10, 120), True),  # 3 palm lengths, upright
        ((0, 0, 20, 16), False),  # a bottle cap under the fingers: half a palm
        ((0, 0, 130, 60), False),  # a screen behind the hand
    ],
)
def test_size_check_keeps_phones_of_a_hands_size(box, ok):
    assert phone_sized(box, PALM, (0.6, 3.0)) is ok


def test_palms_on_the_upper_body_and_a_window_of_native_pixels():
    assert CROP == (25, 30, 475, 540)
    assert upper_body_crop([1800, 0, 1920, 300], (W, H)) == (1770, 0, 1920, 240)
    det, palms, img = CountingDetector((100, 90, 130, 150), 0.6), FixedPalms(PALM), frame()
    ev = stage(det, palms).assess(T0, img, "post", persons(TELLER))
    (crop,) = palms.crops
    np.testing.assert_array_equal(crop, img[30:540, 25:475])  # not resized
    (window,) = det.crops
    np.testing.assert_array_equal(window, img[280:520, 130:370])
    assert ev.phone and ev.cues == ("palm", "det") and ev.conf == pytest.approx(0.6)
    assert ev.box == (230.0, 370.0, 260.0, 430.0)  # frame pixels


def test_boxes_come_back_in_analysed_pixels_when_crops_are_native():
    from detectors.frame import CropSource

    class Native:
        size = (W, H)

        def __init__(self, img):
            self.img = img

        def crop(self, box):
            x1, y1, x2, y2 = box
            return self.img[y1:y2, x1:x2]

    img = frame()
    half = img[::2, ::2]
    det = CountingDetector((100, 90, 130, 150), 0.6)
    ev = stage(det).assess(T0, CropSource(half, Native(img)), "post", persons([50, 30, 200, 330]))
    assert ev.phone and ev.box == (115.0, 185.0, 130.0, 215.0)


def test_a_cap_sized_or_unsure_box_is_no_verdict_but_a_near_miss_is_kept():
    cap = stage(CountingDetector((100, 100, 115, 112), 0.6)).assess(
        T0, frame(), "post", persons(TELLER)
    )
    assert not cap.phone and cap.box is None  # under 0.6 palms: not a phone at all
    for score, kept in ((0.05, False), (0.15, True), (0.29, True)):
        ev = stage(CountingDetector((100, 90, 130, 150), score)).assess(
            T0, frame(), "post", persons(TELLER)
        )
        assert not ev.phone and (ev.conf, ev.cues) == (0.0, ())
        assert (ev.box is not None) is kept and ev.score == (pytest.approx(score) if kept else 0)


def test_nobody_or_no_palm_runs_no_window():
    det, palms = CountingDetector((100, 90, 130, 150)), FixedPalms(PALM)
    st = stage(det, palms)
    assert not st.assess(T0, frame(), "post", Detections.empty()).phone
    assert palms.crops == [] and det.crops == []
    unsure = Palm(PALM.box, 0.3, PALM.centre)  # under palm_conf
    st = stage(det, FixedPalms(unsure))
    assert not st.assess(T0, frame(), "post", persons(TELLER)).phone
    assert det.crops == [] and st.counters.palm_runs == 1 and st.counters.windows == 0
    small = persons([100.0, 60.0, 150.0, 160.0])  # 100 px: under min_person_px
    st = stage(det)
    st.assess(T0, frame(), "post", small)
    assert st.counters.persons == 1 and st.counters.searched == 0


def test_a_person_holding_still_keeps_their_palms_and_windows():
    """Palms and windows run again only when the person moved or their upper body
    changed: the same teller in the same place is not searched twice."""
    det, palms = CountingDetector((100, 90, 130, 150), 0.6), FixedPalms(PALM)
    st, img = stage(det, palms), frame()
    first = st.assess(T0, img, "post", persons(TELLER))
    again = st.assess(T0 + timedelta(seconds=2), img.copy(), "post", persons(TELLER))
    assert len(palms.crops) == 1 and len(det.crops) == 1 and st.counters.reused == 1
    assert again == first and first.phone
    st.assess(T0 + timedelta(seconds=4), frame(moved=True), "post", persons(TELLER))
    assert len(palms.crops) == 2
    stepped = [v + 40 for v in TELLER]
    st.assess(T0 + timedelta(seconds=6), frame(moved=True), "post", persons(stepped))
    assert len(palms.crops) == 3
    st.assess(T0 + timedelta(seconds=8), frame(moved=True), "other", persons(stepped))
    assert len(palms.crops) == 4  # each zone remembers its own persons
    off = stage(det, palms := FixedPalms(PALM), reuse_still=False)
    for _ in range(2):
        off.assess(T0, img, "post", persons(TELLER))
    assert len(palms.crops) == 2


def test_a_still_hand_keeps_its_window_while_the_person_moves():
    """The teller's head turns (palms run again) but the hand's window is the same pixels
    in the same place: its search is reused. A hand that moved, or a window whose pixels
    changed (a phone coming into the hand), is searched again."""
    det, palms = CountingDetector((100, 90, 130, 150), 0.6), FixedPalms(PALM)
    st, img = stage(det, palms), frame()
    first = st.assess(T0, img, "post", persons(TELLER))
    head = img.copy()
    head[60:200, 150:350] = 255  # above the window (130, 280, 370, 520)
    again = st.assess(T0 + timedelta(seconds=2), head, "post", persons(TELLER))
    assert len(palms.crops) == 2 and len(det.crops) == 1
    assert (st.counters.reused, st.counters.windows, st.counters.windows_reused) == (0, 1, 1)
    assert again == first and first.phone
    held = head.copy()
    held[380:440, 230:270] = 0  # the window's pixels change
    st.assess(T0 + timedelta(seconds=4), held, "post", persons(TELLER))
    assert len(det.crops) == 2 and st.counters.windows_reused == 1
    # on a flat frame a moved window's pixels are the same: its place tells it apart
    flat = np.full((H, W, 3), 128, np.uint8)
    st = stage(det := CountingDetector(), palms := FixedPalms(PALM), reuse_still=False)
    st.assess(T0, flat, "post", persons(TELLER))
    st.assess(T0 + timedelta(seconds=2), flat, "post", persons(TELLER))
    assert len(det.crops) == 1 and st.counters.windows_reused == 1
    palms.frame_palms = [PALM.shifted(60, 0)]  # the hand moved along the desk
    st.assess(T0 + timedelta(seconds=4), flat, "post", persons(TELLER))
    assert len(det.crops) == 2 and st.counters.windows_reused == 1
    off = stage(det := CountingDetector(), FixedPalms(PALM), reuse_windows=False)
    off.assess(T0, img, "post", persons(TELLER))
    off.assess(T0 + timedelta(seconds=2), head, "post", persons(TELLER))
    assert len(det.crops) == 2 and off.counters.windows_reused == 0


def test_observer_asks_for_staff_zones_and_uniformed_lobby_managers_only():
    det, palms = CountingDetector((100, 90, 130, 150), 0.8), FixedPalms(PALM)
    st = stage(det, palms)
    post = ZoneSpec("post-1", ZonePurpose.TELLER_POST, ((0, 0), (0.3, 0), (0.3, 1), (0, 1)))
    lobby = ZoneSpec("lobby", ZonePurpose.LOBBY, ((0.7, 0), (1, 0), (1, 1), (0.7, 1)))
    navy = (68, 42, 31)
    lm = ZoneSpec(
        "lm", ZonePurpose.LOBBY_MANAGER, ((0.3, 0), (0.7, 0), (0.7, 1), (0.3, 1)),
        uniform_bgr=navy, uniform_tolerance=20,
    )  # fmt: skip
    img = frame()
    manager, customer = [700.0, 60.0, 900.0, 660.0], [1000.0, 60.0, 1200.0, 660.0]
    img[60:660, 700:900] = navy
    stranger = [1500.0, 60.0, 1700.0, 660.0]
    obs = ZoneObserver("cam", [post, lm, lobby], phone_stage=st).observe(
        T0, img, persons(TELLER, manager, customer, stranger)
    )
    assert obs.zones["post-1"].phone and obs.zones["post-1"].phone_cues == "palm+det"
    assert not obs.zones["lobby"].phone
    # the teller and the uniformed manager are searched; the customer at the manager's
    # desk and the person in the lobby are not
    assert st.counters.persons == 2 and len(palms.crops) == 2
    assert palms.crops[1].shape == img[30:540, 650:950].shape


def test_the_frame_carries_each_staff_zones_verdict_and_a_reused_frame_none():
    """The labelling candidates read the phone stage's boxes off the frame's result
    (pipeline/batch/candidates.py), as the zone facts were read from it."""
    st = stage(CountingDetector((100, 90, 130, 150), 0.8))
    post = ZoneSpec("post-1", ZonePurpose.TELLER_POST, ((0, 0), (0.3, 0), (0.3, 1), (0, 1)))
    lobby = ZoneSpec("lobby", ZonePurpose.LOBBY, ((0.7, 0), (1, 0), (1, 1), (0.7, 1)))
    observer = ZoneObserver("cam", [post, lobby], phone_stage=st)
    img = frame()
    result = observer.observe_frame(T0, img, persons(TELLER))
    ((zone, verdict),) = result.phone.items()
    assert zone == "post-1" and verdict.phone and verdict.box is not None
    assert result.observation.zones[zone].phone_conf == verdict.conf and result.detected
    reused = observer.observe_frame(T0 + timedelta(seconds=2), img, persons(TELLER), fresh=False)
    assert reused.phone == {} and reused.observation.zones[zone].phone  # the last one stands


def test_settings_reject_unknown_keys_and_bad_thresholds():
    with pytest.raises(ValueError):
        PhoneStageSettings(crop_conf=1.5)
    with pytest.raises(ValueError):
        PhoneStageSettings(backend="tensorflow")
    with pytest.raises(ValueError):
        PhoneStageSettings(pose=True)  # the pose cue left the phone stage
    with pytest.raises(ValueError):
        PhoneStageSettings(phone_to_palm=(3.0, 0.6))
