"""Zone geometry: anchors by purpose, and polygons that touch the frame's edge."""

import numpy as np

from detectors.observations import ZonePurpose
from detectors.zones import Anchor, PixelZone

SIZE = (200, 100)  # width, height


def holds(zone: PixelZone, box) -> bool:
    return bool(zone.trigger(np.asarray(box, np.float32)[None])[0])


def _zone(polygon, purpose=ZonePurpose.LOBBY, anchor=None) -> PixelZone:
    return PixelZone.from_normalized("z", purpose, polygon, SIZE, anchor)


def test_feet_anchor_counts_where_a_person_stands():
    floor = _zone(((0.0, 0.5), (0.5, 0.5), (0.5, 1.0), (0.0, 1.0)))  # lower-left quarter
    assert floor.anchor is Anchor.FEET
    standing_in = np.array([20, 10, 60, 90], np.float32)  # head above the zone, feet in it
    standing_out = np.array([120, 40, 160, 90], np.float32)
    assert holds(floor, standing_in)
    assert not holds(floor, standing_out)
    assert floor.trigger(np.stack([standing_out, standing_in])).tolist() == [False, True]


def test_upper_body_anchor_for_a_seated_post():
    post = _zone(((0.25, 0.0), (0.75, 0.0), (0.75, 0.5), (0.25, 0.5)), ZonePurpose.TELLER_POST)
    assert post.anchor is Anchor.UPPER_BODY
    seated = np.array([60, 5, 140, 95], np.float32)  # legs hidden below the zone
    passer_by = np.array([0, 5, 48, 95], np.float32)  # upper half just outside the zone
    assert holds(post, seated)
    assert not holds(post, passer_by)
    # the same post with a feet anchor would miss the seated teller
    post_polygon = ((0.25, 0.0), (0.75, 0.0), (0.75, 0.5), (0.25, 0.5))
    assert not holds(_zone(post_polygon, anchor=Anchor.FEET), seated)
    assert holds(_zone(post_polygon, anchor=Anchor.CENTER), np.array([60, 5, 140, 60]))


def test_polygon_touching_the_frame_edge():
    edge = _zone(((0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)))  # right half, whole height
    assert edge.mask[:, -1].all() and edge.mask[-1, 150] == 1
    # A person cut off by the bottom edge: the box ends on (or past) the last row.
    assert holds(edge, np.array([150, 40, 190, 100], np.float32))
    assert holds(edge, np.array([150, 40, 210, 130], np.float32))  # box past the frame
    assert edge.overlap(np.array([300, 300, 400, 400], np.float32))[0] == 0.0


def test_overlap_share_and_pixel_scaling():
    left = _zone(((0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)))
    assert left.polygon.tolist() == [[0, 0], [100, 0], [100, 99], [0, 99]]
    share = left.overlap(np.array([50, 0, 150, 100], np.float32))[0]
    assert abs(share - 0.51) < 0.02  # columns 50..100 of 50..149
