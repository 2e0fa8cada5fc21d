"""The labels burned into evidence: Chinese first, English beside, in the shipped CJK font,
sized to the frame, inside the zone they name; on a real frame (pipeline/evidence/overlay.py)."""

from __future__ import annotations

import numpy as np
import pytest

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from detectors.zones import PixelZone
from pipeline.evidence.clips import TITLE_SHARE, _title_card
from pipeline.evidence.overlay import (
    GROUP_NAMES,
    ZoneAnnotator,
    describe,
    label_font,
    label_masks,
    label_px,
)
from pipeline.fonts import FONT_FILES
from pipeline.footage.sampler import sample_video
from rules.checklist import load_checklist
from tests.conftest import footage_file

TITLE = "3 小时 05 分钟后 · 3 h 05 min later"
POLYGON = ((0.15, 0.2), (0.7, 0.2), (0.7, 0.85), (0.15, 0.85))


@pytest.fixture(scope="module")
def frame() -> np.ndarray:
    """A frame of the real lobby clip, as the evidence samples it."""
    path = footage_file("vtest.avi")
    sample = next(iter(sample_video(path, 1.0, 1280)))
    return sample.frame


def _red(image: np.ndarray) -> np.ndarray:
    b, g, r = (image[..., i].astype(int) for i in range(3))
    return (r > 200) & (g < 70) & (b < 70)


def test_the_chinese_label_is_drawn_inside_its_zone_in_the_zones_colour(frame):
    h, w = frame.shape[:2]
    zone = PixelZone.from_normalized("post-1", ZonePurpose.TELLER_POST, POLYGON, (w, h))
    empty = ZoneObservation("post-1", ZonePurpose.TELLER_POST, persons=0, present=False)
    observation = FrameObservation(None, "cam-1", {"post-1": empty})
    drawn = ZoneAnnotator(load_checklist(), "TELLER_ABSENT").draw(frame, [zone], observation, None)
    text = f"post-1 {describe(empty)}"
    assert text == "post-1 空岗 EMPTY"  # Chinese first, English beside

    px = label_px(h)
    assert px >= h / 30 - 1 and px >= 14
    x1, y1 = zone.polygon.min(axis=0)
    x2, y2 = zone.polygon.max(axis=0)
    # the columns of 空岗: after "post-1 ", before " EMPTY"
    before = label_masks("post-1 ", px)[0].shape[1]
    through = label_masks("post-1 空岗", px)[0].shape[1]
    assert through - before >= 1.6 * px  # two hanzi, each about as wide as the label is high
    glyph_rows = slice(int(y1) + 3, int(y1) + 3 + label_masks(text, px)[0].shape[0])
    hanzi = (glyph_rows, slice(int(x1) + 3 + before, int(x1) + 3 + through))
    red = _red(drawn[hanzi]) & ~_red(frame[hanzi])
    assert red.sum() > 0.15 * px * (through - before)  # strokes in the alert red
    # every changed pixel of the label lies inside the zone's box
    changed = (drawn != frame).any(axis=2)
    changed[int(y1) - 3 : int(y2) + 4, int(x1) - 3 : int(x2) + 4] = False  # box and outline
    assert not changed.any()
    # the hanzi's strokes are outlined: dark pixels beside the red ones
    dark = drawn[hanzi].max(axis=2) < 40
    assert dark.sum() > 0.2 * red.sum()


def test_the_font_and_the_drawn_labels_are_kept(frame):
    """Loaded once a size, drawn once a text: a clip repeats its labels frame after frame."""
    px = label_px(frame.shape[0])
    assert label_font(px) is label_font(px)
    label_masks.cache_clear()
    zone = PixelZone.from_normalized("desk", ZonePurpose.COUNTER_SURFACE, POLYGON, frame.shape[1::-1])
    obs = FrameObservation(None, "cam-1", {"desk": ZoneObservation("desk", ZonePurpose.COUNTER_SURFACE, clutter=0.2)})
    annotator = ZoneAnnotator(load_checklist())
    first = annotator.draw(frame, [zone], obs, None, "09:00:00  cam-1  柜台杂乱")
    again = annotator.draw(frame, [zone], obs, None, "09:00:00  cam-1  柜台杂乱")
    info = label_masks.cache_info()
    assert info.misses == 2 and info.hits == 2  # the zone's label and the caption
    assert np.array_equal(first, again)


def test_every_character_burned_in_is_in_the_shipped_font():
    from fontTools.ttLib import TTFont

    have = set(TTFont(FONT_FILES[700]).getBestCmap())
    texts = [describe(ZoneObservation("z", p, 2, True, True, 0.9, hand_raised=True)) for p in ZonePurpose]
    texts += [describe(ZoneObservation("z", p)) for p in ZonePurpose]
    texts += [*GROUP_NAMES.values(), TITLE]
    missing = {ch for t in texts for ch in t if ord(ch) > 0x7F and ord(ch) not in have}
    assert not missing


def test_the_title_card_says_the_skipped_time_in_both_languages():
    card = _title_card((720, 1280, 3), 3 * 3600 + 300)
    glyphs = label_masks(TITLE, TITLE_SHARE * label_px(720))[0]
    assert glyphs.shape[1] < 1280  # whole on the card
    bright = card.max(axis=2) > 200
    ys, xs = np.nonzero(bright)
    assert abs((xs.min() + xs.max()) / 2 - 640) < 20 and abs((ys.min() + ys.max()) / 2 - 360) < 40
    assert bright.sum() == pytest.approx((glyphs[..., 0] > 0.7).sum(), rel=0.3)
