"""The finding filter: one query model for the JSON list (`GET /api/v1/findings`), the
review queue and the reviewed list, so the three validate alike and refuse alike (a 422
in the validation shape, api/errors.py). The pages' form sends every field, an empty one
meaning "all"; `form_filter` drops those before the same model validates the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.orm import Session

from api.auth import Principal, visible_branches
from api.schemas import BRANCH_ID, CAMERA_ID, ITEM_CODE, IsoDate, Status
from pipeline.store import models as m
from pipeline.store.zones import camera_choices, zone_choices
from rules.checklist import Checklist, ChecklistItem
from rules.wording import purpose_label


class Sort(StrEnum):
    """The orders a finding list offers (the query layer sorts: api/queries.find_findings)."""

    OLDEST = "oldest"  # the night in the order it happened
    NEWEST = "newest"
    BRANCH = "branch"  # a branch's findings together, oldest first within it
    POINTS = "points"  # the most points at stake first


SORT_NAMES = {
    Sort.OLDEST: "最早在前 Oldest first",
    Sort.NEWEST: "最新在前 Newest first",
    Sort.BRANCH: "按网点 By branch",
    Sort.POINTS: "扣分多在前 Most points at stake",
}

Reviewer = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=r"^[^\x00]+$"),
]


class FindingFilter(BaseModel):
    """What a finding list filters on, by its query names; a field left out means all."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    branch: str | None = Field(None, pattern=BRANCH_ID)
    day: IsoDate | None = Field(None, alias="date", description="one day, YYYY-MM-DD")
    date_from: IsoDate | None = Field(None, alias="from", description="from this day on")
    date_to: IsoDate | None = Field(None, alias="to", description="up to this day")
    item: str | None = Field(None, pattern=ITEM_CODE, description="a checklist item's code")
    status: Status | None = None
    camera: str | None = Field(None, pattern=CAMERA_ID)
    zone: str | None = Field(
        None, pattern=CAMERA_ID,
        description="a stored zone id (as the timeline names it): its own findings and "
        "those of its purpose's posts",
    )  # fmt: skip
    min_confidence: float | None = Field(None, ge=0, le=1)
    reviewer: Reviewer | None = Field(None, description="who confirmed or dismissed them")
    sort: Sort | None = Field(
        None, description="oldest (the default of the queue and this list), newest (the "
        "reviewed list's), branch, or points (most at stake first)",
    )  # fmt: skip

    def form(self) -> dict[str, str]:
        """Every field by its query name, as the filter form shows it ("" for all)."""
        given = self.model_dump(by_alias=True, mode="json")
        return {name: "" if value is None else str(value) for name, value in given.items()}

    def query(self, **changes: str) -> str:
        """The filter as a query string (with `changes`), its empty fields left out."""
        fields = {**self.form(), **changes}
        return urlencode({k: v for k, v in fields.items() if v})


QUERY_NAMES = frozenset(f.alias or name for name, f in FindingFilter.model_fields.items())


def form_filter(request: Request) -> FindingFilter:
    """The filter form's fields as sent, an empty field meaning all, through the model the
    API uses: its errors are the API's, at the same `loc`."""
    given = {k: v for k, v in request.query_params.items() if k in QUERY_NAMES and v.strip()}
    try:
        return FindingFilter.model_validate(given)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("query", *e["loc"])} for e in exc.errors()]
        ) from None


FormFilter = Annotated[FindingFilter, Depends(form_filter)]


#: the form's fields, named in the closed filter box's summary
LABELS = {
    "branch": "网点", "date": "日期", "from": "从", "to": "到", "item": "项目", "status": "状态",
    "camera": "摄像头", "zone": "区域", "min_confidence": "置信度 ≥", "reviewer": "复核人",
    "sort": "排序",
}  # fmt: skip


@dataclass(frozen=True)
class Choices:
    """What the filter form offers: the stored values the caller may see."""

    branches: list[m.Branch]
    items: list[ChecklistItem]
    cameras: list[str]
    #: zone id → its label as the timeline and the findings' pages name it
    zones: dict[str, str]
    sorts: dict[Sort, str] = field(default_factory=lambda: dict(SORT_NAMES))
    labels: dict[str, str] = field(default_factory=lambda: dict(LABELS))


def choices(session: Session, principal: Principal, checklist: Checklist) -> Choices:
    branches = visible_branches(session, principal)
    ids = [b.id for b in branches]
    zones = {
        zone: f"{zone}（{' / '.join(purpose_label(p) for p in purposes)}）"
        for zone, purposes in zone_choices(session, ids).items()
    }
    return Choices(branches, list(checklist.items), camera_choices(session, ids), zones)
