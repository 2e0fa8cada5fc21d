"""Packet times where the container leaves them out.

MPEG-PS (Hikvision's and Dahua's exports, `.mp4`/`.dav` names over a program stream)
writes a timestamp only on the packets that start a PES packet: a fifth of an H.264
day's packets and two thirds of an H.265 one's come without any, keyframes included.
Players time such a packet from the one before it and the frame rate; so does every
reader here (pipeline/footage/recordings.py probing, pipeline/footage/sampler.py), so
`coverage` and `run` see the same frames at the same times. The recorders' streams have
no B-frames, so decode order is presentation order and "the one before" is well defined.
The program-stream demuxer now and then gives a PES packet's timestamp to the packet
before the frame it belongs to: that frame is then one frame (40 ms) late, and the next
timestamp sets the clock right again.
"""

from __future__ import annotations

FALLBACK_FPS = 25.0  # PAL, the rate NVRs in China record at, when the stream says none


class PacketClock:
    """Call on each packet of one stream in demux order: gives a packet without `pts` the
    previous packet's plus one frame (also as `dts`), and says False for packets that
    come before any timestamp (after a seek into a program stream): those cannot be
    placed and are dropped."""

    def __init__(self, stream) -> None:
        rate = stream.average_rate or stream.guessed_rate or FALLBACK_FPS
        self.step = max(1, round(1 / (float(rate) * float(stream.time_base))))
        self.last: int | None = None

    def __call__(self, packet) -> bool:
        if packet.pts is None:
            if self.last is None:
                return False
            packet.pts = self.last + self.step
            if packet.dts is None:
                packet.dts = packet.pts
        self.last = packet.pts
        return True
