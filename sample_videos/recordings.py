"""Recordings as an NVR writes them, made from real clips: for the demo branch and the
benchmarks.

An NVR writes H.264 at a constant frame rate with a fixed keyframe interval, in segment
files named by their start time. The shared clips are re-encoded once that way, then
lengthened by copying packets (no second encode), so an hour of "recording" costs seconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import urllib.request
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

import av

HERE = Path(__file__).resolve().parent
#: the three clips, committed with their licences (FOOTAGE.md beside this file)
CLIPS = HERE / "clips"

#: name → (SHA-256, the public source it was taken from)
SOURCES = {
    "one-by-one-person-detection.mp4": (
        "a5964aa259099a482a8b360ffc2c57b5a30f84d5919236a4dad01f8e929ac07c",
        "https://github.com/intel-iot-devkit/sample-videos/raw/master/one-by-one-person-detection.mp4",
    ),
    "bottle-detection.mp4": (
        "d52ba94aedf8a923c342fe9ea1d2bd85f712c4cc0f49a6de1bac43eebe3a48ff",
        "https://github.com/intel-iot-devkit/sample-videos/raw/master/bottle-detection.mp4",
    ),
    "vtest.avi": (
        "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf",
        "debian:opencv-doc:./usr/share/doc/opencv-doc/examples/data/vtest.avi",
    ),
}


def footage_dir() -> Path:
    """Where the real clips are read from: $BRANCH_AUDIT_FOOTAGE, else ../shared/footage
    when it holds all of them, else the committed copies in sample_videos/clips."""
    if os.environ.get("BRANCH_AUDIT_FOOTAGE"):
        return Path(os.environ["BRANCH_AUDIT_FOOTAGE"])
    shared = HERE.parents[1] / "shared" / "footage"
    return shared if all((shared / name).is_file() for name in SOURCES) else CLIPS


class FootageError(Exception):
    """A clip could not be had, or is not the clip it should be."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(name: str, dest: Path, shared: Path | None) -> Path:
    """The clip `name` in `dest`: copied from `shared` when there, else downloaded from its
    public source; refused unless its SHA-256 is the known one."""
    expected, source = SOURCES[name]
    target = dest / name
    if target.is_file() and sha256(target) == expected:
        return target
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        part = Path(tmp) / name
        if shared is not None and (shared / name).is_file():
            shutil.copyfile(shared / name, part)
        elif source.startswith("debian:"):
            _from_debian_package(source, part)
        else:
            urllib.request.urlretrieve(source, part)  # noqa: S310 (fixed https/file URLs)
        got = sha256(part)
        if got != expected:
            raise FootageError(f"{name}: SHA-256 {got} is not the expected {expected}")
        part.replace(target)
    return target


def _from_debian_package(source: str, out: Path) -> None:
    _, package, member = source.split(":", 2)
    work = out.parent
    subprocess.run(["apt-get", "download", package], cwd=work, check=True, capture_output=True)
    deb = next(work.glob(f"{package}_*.deb"))
    tar = subprocess.run(["dpkg", "--fsys-tarfile", str(deb)], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(work), member], input=tar.stdout, check=True)
    (work / member).replace(out)


def nvr_encode(
    src: Path,
    dst: Path,
    *,
    fps: int,
    gop_s: float = 2.0,
    size: tuple[int, int] | None = None,
    seconds: tuple[float, float] | None = None,
    codec: str = "libx264",
    container: str | None = None,
    b_frames: bool = True,
    sar: Fraction | None = None,
    gops_s: Sequence[float] | None = None,
) -> Path:
    """Re-encode `src` (or its `seconds` range) as an NVR would: H.264 (or H.265 with
    `codec="libx265"`), yuv420p, constant `fps`, a keyframe every `gop_s` seconds, no
    scene-cut keyframes, B-frames as the encoder's preset has them unless `b_frames` is
    False (recorders' own streams have none); `container` names the format where the
    suffix does not say it (`mpeg` for a program stream under `.mp4` or `.dav`, as
    Hikvision and Dahua export); `sar` is the pixels' aspect (a D1 substream's 704×576
    pixels are 12/11 wide: a 4:3 picture); `gops_s`, a dynamic GOP as recorders' smart
    codecs write it: keyframes these many seconds apart, in turn, closed GOPs."""
    options, keys = encoder_options(codec, fps, gop_s, gops_s, b_frames)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as inp, av.open(str(dst), "w", format=container) as out:
        stream = out.add_stream(codec, rate=fps, options=options)
        ins = inp.streams.video[0]
        width, height = size or (ins.width - ins.width % 2, ins.height - ins.height % 2)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if sar is not None:
            stream.codec_context.sample_aspect_ratio = sar
        lo, hi = seconds or (0.0, float("inf"))
        n = 0
        for frame in inp.decode(ins):
            t = float(frame.pts * ins.time_base) if frame.pts is not None else n / fps
            if t < lo:
                continue
            if t >= hi:
                break
            # Constant frame rate: the source's frames are re-timed at `fps`.
            out_frame = frame.reformat(width=width, height=height, format="yuv420p")
            out_frame.pts, out_frame.time_base = n, Fraction(1, fps)
            # the source's keyframes would force ours (libx264 honours a frame's type)
            out_frame.pict_type = 1 if keys and n in keys else 0  # AV_PICTURE_TYPE_I, _NONE
            out.mux(stream.encode(out_frame))
            n += 1
        out.mux(stream.encode())
    return dst


def encoder_options(
    codec: str, fps: int, gop_s: float, gops_s: Sequence[float] | None, b_frames: bool = True
) -> tuple[dict[str, str], set[int] | None]:
    """The encoder's options for an NVR's stream (nvr_encode), and with a dynamic GOP the
    indices of the frames to force as keyframes (None: every `gop_s`)."""
    keys = None
    if gops_s:
        keys, at = set(), 0.0
        while at < 36 * 3600:  # any clip's length
            keys.add(round(at * fps))
            at += gops_s[(len(keys) - 1) % len(gops_s)]
        gop_s = max(gops_s)
    gop = max(1, round(gop_s * fps))
    params = f"keyint={gop}:min-keyint={1 if keys else gop}:scenecut=0"
    params += "" if b_frames else ":bframes=0"
    if codec == "libx265":
        options = {"preset": "ultrafast", "x265-params": params + ":open-gop=0:log-level=error"}
        if keys:
            options["forced-idr"] = "1"
        return options, keys
    return {"crf": "23", "preset": "veryfast", "x264-params": params}, keys


def loop(src: Path, dst: Path, seconds: float) -> Path:
    """`src` repeated by packet copy until it lasts `seconds` (cut at a packet boundary)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as probe:
        ins = probe.streams.video[0]
        length = round(ins.frames / ins.average_rate / ins.time_base)  # in stream ticks
        end = round(seconds / ins.time_base)
    with av.open(str(dst), "w", options={"movflags": "+faststart"}) as out:
        outs = None
        shift = 0
        while shift < end:
            with av.open(str(src)) as inp:
                ins = inp.streams.video[0]
                outs = outs or out.add_stream_from_template(ins)
                for packet in inp.demux(ins):
                    if not packet.size or packet.pts is None or packet.pts + shift >= end:
                        continue
                    packet.pts += shift
                    packet.dts += shift
                    packet.stream = outs
                    out.mux(packet)
            shift += length
    return dst


def remux(src: Path, dst: Path, container: str | None = None) -> Path:
    """`src`'s video packets copied into another container (no second encode), e.g. an
    MPEG-TS recording as the MPEG-PS an NVR exports: the program-stream muxer itself
    leaves most packets without a timestamp (pipeline/footage/packets.py)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(src)) as inp, av.open(str(dst), "w", format=container) as out:
        ins = inp.streams.video[0]
        outs = out.add_stream_from_template(ins)
        for packet in inp.demux(ins):
            if packet.size:
                packet.stream = outs
                out.mux(packet)
    return dst


def truncate(path: Path, keep: float) -> Path:
    """Cut a file to a share of its bytes, as a power loss does to the segment being written."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path
