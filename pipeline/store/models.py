"""Database tables (SQLAlchemy 2). The schema itself is created by Alembic migrations.

Times are stored as timezone-aware UTC; a branch's wall clock comes from its time zone.
Finding ids are content-derived (rules.findings.finding_id), so re-running a date updates
rows in place and keeps their reviews.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """An aware UTC datetime on every database: SQLite keeps no zone and hands back naive
    values, so they are marked UTC on the way out (they went in as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"naive datetime {value} stored: times are aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime()}


class Branch(Base):
    __tablename__ = "branches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    region: Mapped[str] = mapped_column(String(64), default="", index=True)
    timezone: Mapped[str] = mapped_column(String(64))
    site_path: Mapped[str] = mapped_column(Text, default="")
    #: its calendar at its last run: weekday (Monday = 0, as text) → ["09:00", "17:00"];
    #: the business days an assessment expects a complete check of (rules/assessment.py)
    hours: Mapped[dict | None] = mapped_column(JSON)
    updated_at: Mapped[datetime]

    cameras: Mapped[list[Camera]] = relationship(back_populates="branch", cascade="all")


class Camera(Base):
    __tablename__ = "cameras"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), default="other")

    branch: Mapped[Branch] = relationship(back_populates="cameras")


class Zone(Base):
    """A zone of a branch's camera as its site file gave it on the last night run
    (pipeline/batch/writer.py): what pages, documents and filters name zones by, so none
    of them reads a site file (pipeline/store/zones.py)."""

    __tablename__ = "zones"

    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    #: one-metre zones: the teller post whose window they stand before
    post: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class Run(Base):
    """One invocation of the nightly job over one branch-day (a re-run is a new row)."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"), index=True)
    date: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16))  # running | done | failed
    detector_version: Mapped[str] = mapped_column(String(128), default="")
    executor: Mapped[str] = mapped_column(String(16), default="local")
    #: units done and failed, findings, seconds per stage
    summary: Mapped[dict | None] = mapped_column(JSON)


#: a work unit's status: its results are stored, or its time is a "unit failed" gap
DONE, FAILED = "done", "failed"


class WorkUnit(Base):
    """One camera-file of a branch-day; its observations and gaps land with status=done in
    one transaction, so a crash leaves it either wholly done or still to do."""

    __tablename__ = "work_units"
    __table_args__ = (UniqueConstraint("branch_id", "date", "camera_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    date: Mapped[date] = mapped_column(Date)
    camera_id: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))  # the segment file name
    status: Mapped[str] = mapped_column(String(16))  # pending | done | failed
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    inferences: Mapped[int] = mapped_column(Integer, default=0)
    #: the unit's observations, compact: {"t": [...epoch s], "zones": {zone: {field: [...]}}},
    #: and "observed": [[start, end], ...] epoch seconds the file was read for
    observations: Mapped[dict | None] = mapped_column(JSON)
    #: what its file said of the rest of its time: [[start, end, reason], ...] epoch
    #: seconds; a failed unit's whole time, "unit failed: …". The rules make the day's
    #: gaps (CoverageGap) of them.
    gaps: Mapped[list | None] = mapped_column(JSON)
    #: the sampling and detector settings it was done with (pipeline.batch.units.Settings)
    params: Mapped[str] = mapped_column(String(255), default="")
    detector_version: Mapped[str] = mapped_column(String(128), default="")
    updated_at: Mapped[datetime]


class CoverageGap(Base):
    """Business time a camera of a branch-day did not see, and why: the day's gaps as its
    judgement made them (pipeline/store/findings.py), each stretch once."""

    __tablename__ = "coverage_gaps"
    __table_args__ = (Index("ix_gap_branch_date", "branch_id", "date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    date: Mapped[date] = mapped_column(Date)
    camera_id: Mapped[str] = mapped_column(String(64))
    start: Mapped[datetime]
    end: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class RunLease(Base):
    """The run working on a branch's date now (pipeline/store/leases.py). No key to
    `branches`: a branch's first run takes its lease before it registers the branch."""

    __tablename__ = "run_leases"

    branch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    #: host:pid:token of the run's driver
    holder: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_finding_branch_date", "branch_id", "date"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    date: Mapped[date] = mapped_column(Date)
    item: Mapped[str] = mapped_column(String(64), index=True)
    zone: Mapped[str] = mapped_column(String(64))
    cameras: Mapped[list] = mapped_column(JSON)
    start: Mapped[datetime]
    end: Mapped[datetime]
    duration_s: Mapped[float] = mapped_column(Float)
    confidence: Mapped[float] = mapped_column(Float)
    support: Mapped[list] = mapped_column(JSON)  # ISO times of the samples that showed it
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending|confirmed|dismissed
    detector_version: Mapped[str] = mapped_column(String(128), default="")
    clip: Mapped[str | None] = mapped_column(Text)  # relative to the evidence root
    keyframe: Mapped[str | None] = mapped_column(Text)
    #: why no clip or key frame could be made (pipeline/batch/judge.py), shown on its page
    evidence_note: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    #: the latest run's findings that overlapped this held one and so are this incident
    #: (pipeline/store/findings.py): [{"start", "end", "run_id", "detector_version"}, …]
    redetected: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    reviews: Mapped[list[Review]] = relationship(back_populates="finding", order_by="Review.id")
    appeals: Mapped[list[Appeal]] = relationship(back_populates="finding", order_by="Appeal.id")


class Review(Base):
    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(ForeignKey("findings.id"), index=True)
    decision: Mapped[str] = mapped_column(String(16))  # confirm | dismiss
    note: Mapped[str] = mapped_column(Text, default="")
    #: a dismissal's reason (rules/wording.DISMISS_REASONS), when the reviewer gave one
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reviewer: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]

    finding: Mapped[Finding] = relationship(back_populates="reviews")


class Appeal(Base):
    __tablename__ = "appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(ForeignKey("findings.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|upheld|granted
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_at: Mapped[datetime | None]
    decision_note: Mapped[str] = mapped_column(Text, default="")

    finding: Mapped[Finding] = relationship(back_populates="appeals")


class CheckScore(Base):
    """One branch-day's scores, rewritten in the same transaction as any status change."""

    __tablename__ = "check_scores"
    __table_args__ = (ForeignKeyConstraint(["branch_id"], ["branches.id"]),)

    branch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    provisional: Mapped[float] = mapped_column(Float)
    final: Mapped[float] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)  # share of business hours observed
    findings: Mapped[dict] = mapped_column(JSON)  # item → count
    updated_at: Mapped[datetime]


class RectificationOrder(Base):
    """A supervisor's order that a branch fix an item (整改). While it is open, the item's
    findings at the branch count as repeats (double) from the day after it was given."""

    __tablename__ = "rectification_orders"
    __table_args__ = (Index("ix_order_branch_item", "branch_id", "item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    item: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    due: Mapped[date | None] = mapped_column(Date)
    #: the finding that prompted it, when it was given from the review page
    finding_id: Mapped[str | None] = mapped_column(ForeignKey("findings.id"))
    ordered_by: Mapped[str] = mapped_column(String(128))
    ordered_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(String(128))
    closed_at: Mapped[datetime | None]
    close_note: Mapped[str] = mapped_column(Text, default="")
    #: an order given in error is withdrawn with a reason: it never counted
    #: (pipeline/store/orders.py), unlike a closed one, which counted until it was closed
    withdrawn_by: Mapped[str | None] = mapped_column(String(128))
    withdrawn_at: Mapped[datetime | None]
    withdraw_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def status(self) -> str:
        if self.withdrawn_at is not None:
            return "withdrawn"
        return "open" if self.closed_at is None else "closed"


class IssuedNotice(Base):
    """A weekly notice as it was sent (pipeline/report/notice.py): the rendered page and
    the facts it carried, never rebuilt. Issuing the week again adds a version."""

    __tablename__ = "issued_notices"
    __table_args__ = (
        UniqueConstraint("branch_id", "week", "version", name="uq_issued_notice_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    week: Mapped[str] = mapped_column(String(8))  # ISO week, 2026-W45
    version: Mapped[int] = mapped_column(Integer)  # 1, 2, … per branch and week
    html: Mapped[str] = mapped_column(Text)
    facts: Mapped[dict] = mapped_column(JSON)
    issued_by: Mapped[str] = mapped_column(String(128))
    issued_at: Mapped[datetime]


class ApiToken(Base):
    """A holder's token. The name is unique: reviews, decisions and the audit log record
    who by name. `holder` is the person behind it, normalised (pipeline/store/people.py): one person
    may hold a token per role, and separation of duties compares holders, not names."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("name", name="uq_api_tokens_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    name: Mapped[str] = mapped_column(String(128))
    #: the person, normalised; None on tokens issued before 0009: their name's person
    holder: Mapped[str | None] = mapped_column(String(128), index=True)
    role: Mapped[str] = mapped_column(String(16))  # admin|province|supervisor|branch|assessment
    region: Mapped[str | None] = mapped_column(String(64))
    branch_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]  # None: a token from before expiry existed, never
    last_used_at: Mapped[datetime | None]  # written at most once a minute (api.auth.TOUCH_EVERY)
    revoked_at: Mapped[datetime | None]


class WebSession(Base):
    """A browser's login: the cookie holds a random id whose digest is stored here; the
    token it was opened with is checked on every request, so revoking it ends the session."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex
    token_id: Mapped[int] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class AuthFailure(Base):
    """Failed logins and bearer tokens of one kind from one client address, counted in a
    window (api/attempts.py): one row, changed by one atomic statement, so concurrent
    tries cannot each see the count before the others'."""

    __tablename__ = "auth_failures"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # "login 10.0.0.7"
    window_start: Mapped[datetime]
    count: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_action_actor_at", "action", "actor", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    #: a holder's name, "cli", or for login_* and token_* the client's address
    actor: Mapped[str] = mapped_column(String(128))
    #: review|appeal|appeal_decision|appeal_reopen|token_create|token_revoke|
    #: login_failed|login_limited|token_failed|token_limited (api/attempts.py)|…
    action: Mapped[str] = mapped_column(String(32))
    finding_id: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[dict] = mapped_column(JSON)


class PhoneCandidate(Base):
    """A staff-zone crop the phone stage found phone-like, kept for a bank to label and
    train its own model on (pipeline/batch/candidates.py). `kind` "candidate": under the
    verdict's threshold, reviewed on its own (/candidates), never scored; "verdict": a
    phone the stage saw, reviewed through its PHONE_USE finding. Boxes are
    [x1, y1, x2, y2] pixels of the crop image."""

    __tablename__ = "phone_candidates"
    __table_args__ = (Index("ix_candidate_branch_date_zone", "branch_id", "date", "zone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    branch_id: Mapped[str] = mapped_column(ForeignKey("branches.id"))
    date: Mapped[date] = mapped_column(Date)
    camera_id: Mapped[str] = mapped_column(String(64))
    zone: Mapped[str] = mapped_column(String(64))
    #: the work unit (segment file) that saw it: a redone unit replaces its pending ones
    unit_key: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # candidate | verdict
    t: Mapped[datetime]
    #: the crop detector's score of `box`
    score: Mapped[float] = mapped_column(Float)
    #: the crop (JPEG, native resolution, customers' heads blurred), relative to the
    #: evidence root
    image: Mapped[str] = mapped_column(Text)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    box: Mapped[list] = mapped_column(JSON)
    #: the person boxes the detector found on the crop, for the dataset's person labels
    persons: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # |confirmed|dismissed
    #: the phone's box as the reviewer drew it (confirmed candidates)
    reviewed_box: Mapped[list | None] = mapped_column(JSON)
    reviewer: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    detector_version: Mapped[str] = mapped_column(String(128), default="")
    created_at: Mapped[datetime]
