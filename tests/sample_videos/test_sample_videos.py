"""The demo's footage tools: checked copies or downloads, NVR-like re-encoding, looping."""

import av
import pytest

from sample_videos import recordings
from sample_videos.recordings import FootageError, fetch, loop, nvr_encode, sha256, truncate
from tests.support.recordings import write_clip


def test_fetch_copies_the_shared_clip_and_checks_it(footage, tmp_path):
    got = fetch("bottle-detection.mp4", tmp_path, footage)
    assert sha256(got) == recordings.SOURCES["bottle-detection.mp4"][0]
    assert fetch("bottle-detection.mp4", tmp_path, None) == got  # already there: no download


def test_fetch_downloads_when_there_is_no_shared_copy_and_refuses_a_wrong_file(
    tmp_path, monkeypatch
):
    source = write_clip(tmp_path / "src" / "clip.mp4", 2)
    url = source.as_uri()
    monkeypatch.setitem(recordings.SOURCES, "clip.mp4", (sha256(source), url))
    got = fetch("clip.mp4", tmp_path / "dest", None)
    assert got.read_bytes() == source.read_bytes()
    monkeypatch.setitem(recordings.SOURCES, "other.mp4", ("0" * 64, url))
    with pytest.raises(FootageError, match="is not the expected"):
        fetch("other.mp4", tmp_path / "dest", None)
    assert not (tmp_path / "dest" / "other.mp4").exists()


def test_nvr_encode_then_loop_to_a_length(tmp_path):
    src = write_clip(tmp_path / "src.mp4", 3, fps=10)
    nvr = nvr_encode(src, tmp_path / "nvr.mp4", fps=10, gop_s=1.0, seconds=(1.0, 3.0))
    with av.open(str(nvr)) as c:
        stream = c.streams.video[0]
        assert stream.frames == 20 and stream.codec_context.name == "h264"
        keyframes = [p.pts for p in c.demux(stream) if p.is_keyframe]
        assert len(keyframes) == 2  # one a second
    looped = loop(nvr, tmp_path / "looped.mp4", 7.0)
    with av.open(str(looped)) as c:
        stream = c.streams.video[0]
        times = [float(f.pts * stream.time_base) for f in c.decode(stream)]
    assert len(times) == 70 and times == sorted(times)
    assert times[-1] == pytest.approx(6.9, abs=0.01)
    size = looped.stat().st_size
    assert truncate(looped, 0.5).stat().st_size == size // 2
