"""Real clips (../shared/footage): timestamps checked against OpenCV's own frame count."""

import cv2
import numpy as np
import pytest

from pipeline.footage.recordings import find_segments
from pipeline.footage.sampler import SamplingSpec
from pipeline.footage.window import map_files
from tests.support.recordings import DAY, TZ, at

CLIPS = [  # name, frames per second, seconds
    ("one-by-one-person-detection.mp4", 10, 139.4),  # H.264, keyframe every second
    ("vtest.avi", 10, 79.5),  # MPEG-4 part 2, keyframe every 25 s
]
CHECKED_S = 30  # pixel-compare the samples of the first seconds


def _opencv_frames(path, count):
    cap = cv2.VideoCapture(str(path))
    frames = [cap.read()[1] for _ in range(count)]
    cap.release()
    return frames


@pytest.mark.parametrize(("name", "fps", "seconds"), CLIPS)
def test_real_clip_sampled_at_the_right_times(footage, tmp_path, name, fps, seconds):
    suffix = name.rsplit(".", 1)[1]
    (tmp_path / f"cam_20240506_090000.{suffix}").symlink_to(footage / name)
    day = find_segments(tmp_path, f"{{camera}}_%Y%m%d_%H%M%S.{suffix}", "cam", TZ, DAY)
    per_file, coverage = map_files(list, day, SamplingSpec(rate=1), workers=1)
    samples = [s for file_samples in per_file for s in file_samples]

    assert len(samples) == pytest.approx(seconds, abs=1)
    assert coverage.observed_s == pytest.approx(seconds, abs=0.2)
    for i, s in enumerate(samples):
        assert abs(s.pts - i) < 1 / fps and (s.t - at(0)).total_seconds() == pytest.approx(s.pts)
    reference = _opencv_frames(footage / name, CHECKED_S * fps)
    for s in samples[:CHECKED_S]:
        expected = reference[round(s.pts * fps)]
        assert np.abs(s.frame.astype(int) - expected).mean() < 3, s.pts
