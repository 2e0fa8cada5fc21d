"""Request and response bodies of the API, and how stored rows become them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    Field,
    model_validator,
)

from detectors.config_base import StrictModel
from pipeline.store import models as m
from pipeline.store.reviews import AppealStatus
from rules.assessment import AssessmentRow
from rules.checklist import Checklist
from rules.findings import FindingStatus
from rules.periods import PERIOD_FORMS, PERIOD_PATTERN
from rules.wording import DISMISS_REASONS, duration_text

# Identifiers arrive in paths and query strings: a strict alphabet keeps bytes the
# databases reject (NUL) or cannot index out of queries, as a 422 instead of a 500.
BRANCH_ID = r"^[A-Za-z0-9_.\-]{1,64}$"
FINDING_ID = r"^[A-Za-z0-9_\-]{1,32}$"
ITEM_CODE = r"^[A-Z][A-Z0-9_]{0,63}$"
CAMERA_ID = r"^[A-Za-z0-9_.\-]{1,64}$"  # camera and zone ids

Status = FindingStatus
#: a dismissal's reason codes (rules/wording.DISMISS_REASONS)
DismissReason = Literal[tuple(DISMISS_REASONS)]  # type: ignore[valid-type]

PolicyName = Annotated[Literal["A", "B"], Query(description="A (thresholds) or B (staged)")]
# The grammar is checked once, by rules/periods.py (the pages show its message); the
# document states the same pattern, or empty: the default.
PeriodLabel = Annotated[
    str | None,
    Query(
        json_schema_extra={"pattern": f"^$|{PERIOD_PATTERN}"},
        description=f"{PERIOD_FORMS}; empty or absent: the policy's stage of the dates, "
        "else all dates",
    ),
]


def _iso_date(text: object) -> object:
    """Only `YYYY-MM-DD`: pydantic also reads a number ("0") as a Unix time."""
    if not (isinstance(text, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text)):
        raise ValueError("must be a date, YYYY-MM-DD")
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError("not a calendar date (YYYY-MM-DD)") from None
    return text


IsoDate = Annotated[date, BeforeValidator(_iso_date)]

ISO_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"


def _iso_moment(text: object) -> object:
    """An ISO time with its offset only: pydantic also reads a number as a Unix time."""
    if not (isinstance(text, str) and re.fullmatch(ISO_MOMENT, text)):
        raise ValueError("must be an ISO 8601 time with its offset, e.g. 2026-11-02T09:31:05+08:00")
    return text


IsoMoment = Annotated[AwareDatetime, BeforeValidator(_iso_moment)]


def _printable(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text.strip()


# The patterns state in the document what the validators check (with messages that say
# why), so that a client, and schemathesis, can tell a valid text from the schema alone.
Note = Annotated[
    str,
    Field(max_length=2000, json_schema_extra={"pattern": r"^[^\x00]*$"}),
    AfterValidator(_printable),
]


def _not_blank(text: str) -> str:
    if not text:
        raise ValueError("must not be empty")
    return text


Reason = Annotated[
    Note, Field(json_schema_extra={"pattern": r"^[^\x00]*\S[^\x00]*$"}), AfterValidator(_not_blank)
]


class Me(BaseModel):
    name: str
    role: str
    region: str | None
    branch: str | None


class BranchOut(BaseModel):
    id: str
    name: str
    region: str
    timezone: str


class CheckOut(BaseModel):
    branch: str
    region: str
    date: date
    provisional_score: float = Field(description="100 − deductions of pending and confirmed")
    final_score: float = Field(description="100 − deductions of confirmed findings only")
    coverage: float = Field(description="share of business hours actually observed")
    complete: bool = Field(
        description="coverage reaches the checklist's min_coverage; an incomplete check is "
        "left out of period means, ranks and rewards"
    )
    findings: dict[str, int] = Field(description="item code → findings not dismissed")


class ReviewOut(BaseModel):
    decision: Literal["confirm", "dismiss", "undo", "reopen"] = Field(
        description="confirm or dismiss: a decision; undo (by its reviewer within a minute) "
        "or reopen (by its reviewer or an admin, with a note): it was set back to pending"
    )
    note: str
    reason_code: DismissReason | None = Field(
        None, description="a dismissal's reason code, when the reviewer gave one"
    )
    reason: str = Field("", description="the reason code in words, Chinese first")
    reviewer: str
    at: datetime


class AppealOut(BaseModel):
    id: int
    finding_id: str
    branch: str
    reason: str
    by: str
    at: datetime
    status: AppealStatus
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


class FindingOut(BaseModel):
    id: str
    branch: str
    date: date
    item: str
    item_zh: str
    item_en: str
    zone: str
    cameras: list[str]
    start: datetime
    end: datetime
    local_time: str = Field(description="start–end on the branch's wall clock")
    duration_s: float
    duration_text: str = Field("", description="the duration as pages show it: 16 分 0 秒 (960 s)")
    confidence: float
    status: Status
    detector_version: str
    clip_url: str | None
    keyframe_url: str | None
    reference_url: str | None = Field(
        None, description="a clutter finding's clean reference, drawn as its key frame is, to "
        "lay beside it; 404 there when the zone has no reference photo"
    )
    evidence_note: str | None = None  # why there is no clip or key frame
    points: float = Field(
        0.0,
        description="the item's deduction that confirming this finding puts on the final "
        "score (that it does, once confirmed): doubled for a repeat, the item confirmed "
        "earlier in the month or under an open rectification order (before the item's cap)",
    )
    fine_yuan: float | None = Field(
        None, description="Policy B's fine of a confirmed finding (rules/fines.py); none else"
    )
    fine_rule: str = Field("", description="the fine's rule and arithmetic")
    stake_yuan: float | None = Field(
        None,
        description="Policy B's fine that confirming this finding brings (its fine, once "
        "confirmed); none for an item without a fine rule",
    )
    stake_rule: str = Field("", description="that fine's rule and arithmetic")
    counts_double: str = Field(
        "", description="why this finding counts double (a repeat), if it does"
    )


@dataclass(frozen=True)
class Pricing:
    """What a finding costs (api/queries.pricing, from pipeline/store/fines.stakes_of)."""

    points: float
    fine_yuan: float | None = None
    fine_rule: str = ""
    stake_yuan: float | None = None
    stake_rule: str = ""
    counts_double: str = ""


class AppealReopenOut(BaseModel):
    appeal: int | None
    by: str
    at: datetime
    reason: str
    undone: str = Field(description="the decision the reopening set aside")


class RedetectionOut(BaseModel):
    """A re-run's finding that overlapped this held one: the same incident, found again
    with other settings or weights, never a second deduction (pipeline/store/findings.py)."""

    start: datetime
    end: datetime
    local_time: str
    run_id: int | None
    detector_version: str


class FindingDetail(FindingOut):
    timezone: str = Field(description="the branch's IANA time zone, its wall clock")
    reviews: list[ReviewOut]
    appeals: list[AppealOut]
    appeal_reopenings: list[AppealReopenOut] = []
    redetected: list[RedetectionOut] = Field(
        [], description="the latest run found this incident again as these (重新检出)"
    )


class ReopenFindingIn(StrictModel):
    note: Reason = Field(description="why the decision is set aside, for the record")


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class ReviewIn(StrictModel):
    decision: Literal["confirm", "dismiss"]
    note: Note = ""
    reason_code: DismissReason | None = Field(
        None,
        description="why a dismissal: recorder_fault (设备故障), authorised_absence (授权离岗), "
        "false_detection (误检), not_staff (非本行员工), part_of_work (业务需要) or other "
        "(其他); only with dismiss",
    )

    @model_validator(mode="after")
    def _reason_with_dismiss(self) -> ReviewIn:
        if self.reason_code is not None and self.decision != "dismiss":
            raise ValueError("a reason code goes with dismiss only")
        return self

    seen_status: Status = Field(
        default=FindingStatus.PENDING,
        description="the status the reviewer saw; if the finding has changed since, the "
        "review is refused with 409. Only a pending finding is reviewed: a decided one "
        "changes through undo or reopen (409 otherwise).",
    )


class ReviewResult(BaseModel):
    finding: FindingDetail
    check: CheckOut | None = Field(description="the branch-day's scores after the review")


class AppealIn(StrictModel):
    reason: Reason


class AppealDecisionIn(StrictModel):
    decision: Literal["uphold", "grant"] = Field(
        description="uphold: the finding stays confirmed; grant: it is dismissed"
    )
    note: Note = ""


class ReopenIn(StrictModel):
    reason: Reason = Field(description="why the decided appeal is reopened, for the record")


class PeriodOut(BaseModel):
    label: str
    kind: str


class AssessmentOut(BaseModel):
    policy: str
    policy_name: str
    period: PeriodOut | None
    basis: Literal["final"] = "final"
    branches: list[AssessmentRow]
    generated_at: datetime | None = Field(None, description="when this was computed (UTC)")
    pending: int = Field(0, description="findings of the period awaiting review, in these rows")
    provisional: bool = Field(
        False,
        description="some finding of the period, at any branch (ranks are province-wide), "
        "awaits review: the scores, ranks and yuan may still change",
    )


def local_span(start: datetime, end: datetime, timezone: str) -> str:
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("UTC")
    a, b = start.astimezone(tz), end.astimezone(tz)
    return f"{a:%Y-%m-%d %H:%M:%S}–{b:%H:%M:%S} ({timezone})"


def check_out(row: m.CheckScore, region: str, checklist: Checklist) -> CheckOut:
    return CheckOut(
        branch=row.branch_id,
        region=region,
        date=row.date,
        provisional_score=row.provisional,
        final_score=row.final,
        coverage=row.coverage,
        complete=checklist.complete(row.coverage),
        findings=row.findings,
    )


def appeal_out(row: m.Appeal) -> AppealOut:
    return AppealOut(
        id=row.id,
        finding_id=row.finding_id,
        branch=row.finding.branch_id,
        reason=row.reason,
        by=row.by,
        at=row.at,
        status=row.status,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
    )


def finding_out(
    row: m.Finding, timezone: str, checklist: Checklist, pricing: Pricing
) -> FindingOut:
    try:
        item = checklist.item(row.item)
        zh, en = item.name_zh, item.name_en
        clutter = item.evidence.signal == "clutter"
    except KeyError:  # an item of a newer checklist than the server's
        zh = en = row.item
        clutter = False
    base = f"/api/v1/findings/{row.id}"
    return FindingOut(
        id=row.id,
        branch=row.branch_id,
        date=row.date,
        item=row.item,
        item_zh=zh,
        item_en=en,
        zone=row.zone,
        cameras=[str(c) for c in row.cameras],
        start=row.start,
        end=row.end,
        local_time=local_span(row.start, row.end, timezone),
        duration_s=row.duration_s,
        duration_text=duration_text(row.duration_s),
        confidence=row.confidence,
        status=row.status,
        detector_version=row.detector_version,
        clip_url=f"{base}/clip" if row.clip else None,
        keyframe_url=f"{base}/keyframe" if row.keyframe else None,
        reference_url=f"{base}/reference" if row.keyframe and clutter else None,
        evidence_note=row.evidence_note,
        points=pricing.points,
        fine_yuan=pricing.fine_yuan,
        fine_rule=pricing.fine_rule,
        stake_yuan=pricing.stake_yuan,
        stake_rule=pricing.stake_rule,
        counts_double=pricing.counts_double,
    )


def finding_detail(
    row: m.Finding,
    timezone: str,
    checklist: Checklist,
    pricing: Pricing,
    appeal_reopenings: list[AppealReopenOut] = (),
) -> FindingDetail:
    return FindingDetail(
        **finding_out(row, timezone, checklist, pricing).model_dump(),
        timezone=timezone,
        reviews=[
            ReviewOut(
                decision=r.decision,
                note=r.note,
                reason_code=r.reason_code,
                reason=DISMISS_REASONS.get(r.reason_code or "", ""),
                reviewer=r.reviewer,
                at=r.at,
            )  # fmt: skip
            for r in row.reviews
        ],
        appeals=[appeal_out(a) for a in row.appeals],
        appeal_reopenings=list(appeal_reopenings),
        redetected=[_redetection(r, timezone) for r in row.redetected or ()],
    )


def _redetection(stored: dict, timezone: str) -> RedetectionOut:
    start, end = (datetime.fromisoformat(stored[k]) for k in ("start", "end"))
    return RedetectionOut(
        start=start, end=end, local_time=local_span(start, end, timezone),
        run_id=stored.get("run_id"), detector_version=stored.get("detector_version", ""),
    )  # fmt: skip


class TimelineSample(BaseModel):
    t: datetime
    camera: str
    zone: str
    violating: bool = Field(description="the sample shows the finding's item violated")
    persons: int
    present: bool
    phone: bool
    clutter: float


class TimelineSpan(BaseModel):
    start: datetime
    end: datetime
    camera: str
    zone: str = ""
    violating: bool = False
    reason: str = ""


class ClipSpan(BaseModel):
    start: datetime
    end: datetime
    offset_s: float = Field(description="the clip's time at which this span begins")


class TimelineOut(BaseModel):
    finding: str
    timezone: str
    start: datetime = Field(description="the window shown: the finding with time around it")
    end: datetime
    zones: list[str] = Field(description="camera/zone pairs the finding was judged on")
    samples: list[TimelineSample]
    states: list[TimelineSpan] = Field(
        description="each sample's state held until the next one, at most max_gap_s"
    )
    unknown: list[TimelineSpan] = Field(
        description="judged time no sample covers: coverage gaps with their reasons, and "
        "silences; never the time the branch was closed"
    )
    closed: list[TimelineSpan] = Field(
        default_factory=list,
        description="time outside the branch's business hours (its stored calendar): before "
        "opening, after closing, a day it does not open; nothing is judged then",
    )
    clip: list[ClipSpan] = Field(description="the wall-clock spans the evidence clip shows")
