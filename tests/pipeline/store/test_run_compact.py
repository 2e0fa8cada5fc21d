"""A unit's observations survive the compact JSON form exactly, gaps in zones included."""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from detectors.observations import FrameObservation, ZoneObservation, ZonePurpose
from pipeline.store.compact import pack, unpack

TZ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 5, 6, 9, tzinfo=TZ)

zones = st.builds(
    lambda persons, present, phone, conf, clutter, objects, hand: {
        "post-1": ZoneObservation(
            "post-1", ZonePurpose.TELLER_POST, persons, present, phone, conf, hand_raised=hand
        ),
        "desk": ZoneObservation(
            "desk", ZonePurpose.COUNTER_SURFACE, clutter=clutter, clutter_objects=objects
        ),
    },
    st.integers(0, 5), st.booleans(), st.booleans(), st.floats(0, 1), st.floats(0, 1),
    st.integers(0, 9), st.none() | st.booleans(),
)  # fmt: skip


@given(st.lists(st.tuples(zones, st.booleans(), st.integers(0, 999_999)), max_size=30))
def test_pack_then_unpack_gives_the_same_observations(frames):
    observations = [
        FrameObservation(
            T0 + timedelta(seconds=2 * i, microseconds=us),
            "cam",
            {k: v for k, v in z.items() if k == "post-1" or with_desk},
        )
        for i, (z, with_desk, us) in enumerate(frames)
    ]
    stored = json.loads(json.dumps(pack(observations).stored(())))  # as the database has it

    assert unpack(stored, "cam", TZ) == observations


def test_a_unit_stored_before_a_field_existed_reads_it_as_its_default():
    """Units stored before `hand_raised` existed: not looked at (None), never "not raised"."""
    frame = FrameObservation(
        T0, "cam", {"post-1": ZoneObservation("post-1", ZonePurpose.TELLER_POST, 1, True)}
    )
    stored = pack([frame]).stored(())
    del stored["zones"]["post-1"]["hand_raised"]
    [back] = unpack(stored, "cam", TZ)
    assert back == frame and back.zones["post-1"].hand_raised is None
