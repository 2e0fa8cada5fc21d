"""File-name patterns: a recording's start time, and its end when the name carries it.

A pattern is a file name with strftime codes (`%Y%m%d%H%M%S`), `{camera}` for the camera
id and `*` for any run of characters (an NVR's IP address or channel prefix). NVRs name
files in two shapes, both read by one rule: the first occurrence of each code belongs
to the start time; when a code comes again, the codes from there on give the end time,
any part the end leaves out (the date, usually) taken from the start:

- start only: `{camera}_%Y%m%d_%H%M%S.mp4`;
- Hikvision export: `*_01_R_%Y%m%d%H%M%S.mp4` (`1_01_R_20261127090000.mp4`);
- Dahua export, start then end: `ch02_main_%Y%m%d%H%M%S_%Y%m%d%H%M%S.dav`, or
  `%H.%M.%S-%H.%M.%S*.dav` (`09.00.00-09.30.00[R][0@0][0].dav`) in a dated folder.

`strptime` cannot read a code twice (its regex names a group per code), so patterns are
translated here into one regular expression; a pattern that cannot be used raises
PatternError at site load (pipeline/site.py) rather than at night.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

#: strftime code → (regex of its digits, datetime field)
CODES = {
    "Y": (r"\d{4}", "year"),
    "y": (r"\d{2}", "year2"),
    "m": (r"\d{2}", "month"),
    "d": (r"\d{2}", "day"),
    "H": (r"\d{2}", "hour"),
    "M": (r"\d{2}", "minute"),
    "S": (r"\d{2}", "second"),
    "f": (r"\d{1,6}", "micro"),
    "z": (r"Z|[+-]\d{2}:?\d{2}", "offset"),
}
TIME_CODES = frozenset("HMS")


class PatternError(ValueError):
    """A file-name pattern that cannot give a start time."""


@dataclass(frozen=True)
class NameTimes:
    start: datetime
    end: datetime | None  # when the name carries it


@dataclass(frozen=True)
class NamePattern:
    pattern: str
    regex: re.Pattern[str]
    has_end: bool

    def times(self, name: str, camera: str, tz: ZoneInfo) -> NameTimes | None:
        """The times the name `name` gives for `camera`, or None when it does not match
        (another camera's file, another pattern, an impossible date)."""
        m = self.regex.fullmatch(name)
        if m is None or m.groupdict().get("camera", camera) != camera:
            return None
        try:
            start = _datetime(m, "s", tz, None)
            end = _datetime(m, "e", tz, start) if self.has_end else None
        except ValueError:
            return None
        if end is not None and end <= start:
            end += timedelta(days=1)  # a file that runs past midnight names the end's clock
        return NameTimes(start, end)


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> NamePattern:
    """The pattern as a regular expression; PatternError says what makes it unusable."""
    parts: list[str] = []
    seen: tuple[set[str], set[str]] = (set(), set())
    side = 0
    camera = False
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("{camera}", i):
            parts.append("(?P<camera>.+?)" if not camera else "(?P=camera)")
            camera = True
            i += len("{camera}")
            continue
        if ch == "*":
            parts.append(".*?")
        elif ch != "%":
            parts.append(re.escape(ch))
        elif i + 1 == len(pattern):
            raise PatternError("the pattern ends with a lone %")
        else:
            code = pattern[i + 1]
            i += 1
            if code == "%":
                parts.append("%")
            elif code not in CODES:
                raise PatternError(
                    f"%{code} is not a code file names are read with "
                    f"(use {' '.join('%' + c for c in CODES)})"
                )
            else:
                if code in seen[side]:
                    if side == 1:
                        raise PatternError(
                            f"%{code} appears three times (a name gives a start and an end)"
                        )
                    side = 1
                seen[side].add(code)
                parts.append(f"(?P<{'se'[side]}{code}>{CODES[code][0]})")
        i += 1
    if not seen[0] & TIME_CODES:
        raise PatternError("the pattern must give the start time (e.g. %Y%m%d%H%M%S)")
    if seen[1] and not seen[1] & TIME_CODES:
        raise PatternError("the end time repeats no time of day (%H %M %S)")
    return NamePattern(pattern, re.compile("".join(parts)), bool(seen[1]))


def _datetime(m: re.Match, side: str, tz: ZoneInfo, base: datetime | None) -> datetime:
    """One side's fields; those it does not give come from `base` (the start), else
    from 1900-01-01 00:00:00 as strptime would."""

    def field(code: str, default: int) -> int:
        value = m.groupdict().get(side + code)
        return default if value is None else int(value.ljust(6, "0") if code == "f" else value)

    b = base or datetime(1900, 1, 1)
    year = field("Y", -1)
    if year < 0:
        y2 = m.groupdict().get(side + "y")
        year = 2000 + int(y2) if y2 is not None else b.year
    out = datetime(
        year,
        field("m", b.month),
        field("d", b.day),
        field("H", b.hour if base else 0),
        field("M", b.minute if base else 0),
        field("S", b.second if base else 0),
        field("f", 0),
    )
    offset = m.groupdict().get(side + "z")
    if offset is None:
        return out.replace(tzinfo=tz)  # the branch's wall clock
    if offset == "Z":
        return out.replace(tzinfo=UTC).astimezone(tz)
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return out.replace(tzinfo=timezone(sign * delta)).astimezone(tz)
