"""Findings: what the rules report, and the review status that decides if they cost points."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class FindingStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"


def finding_id(branch: str, item: str, zone: str, start: datetime) -> str:
    """Stable across re-runs of the same footage, so storing a finding twice is a no-op."""
    key = f"{branch}|{item}|{zone}|{start.isoformat()}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    item: str
    branch: str
    cameras: tuple[str, ...]
    zone: str  # the zone id, or the purpose for items judged over all zones of a purpose
    start: datetime
    end: datetime
    #: share of the finding's time in which the raw samples showed the violation
    confidence: float
    #: times of the samples that showed it, for cutting evidence clips and key frames
    support: tuple[datetime, ...] = ()
    status: FindingStatus = FindingStatus.PENDING
    id: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            object.__setattr__(
                self, "id", finding_id(self.branch, self.item, self.zone, self.start)
            )

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "item": self.item,
            "branch": self.branch,
            "cameras": list(self.cameras),
            "zone": self.zone,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "duration_s": round(self.duration.total_seconds(), 3),
            "confidence": round(self.confidence, 3),
            "status": str(self.status),
            "support": [t.isoformat() for t in self.support],
        }
