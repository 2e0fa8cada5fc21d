"""The review workflow: every way a finding's or an appeal's status changes, in one place.

A finding is pending until a supervisor confirms or dismisses it. A decided finding changes
only through an undo (its reviewer, within UNDO_S) or a reopening (its reviewer or an
admin, with a note), both back to pending, never by a second review; once the branch has
appealed a confirmed finding, only the appeal's decision changes it (granting dismisses
it), and a decided appeal only through an admin's reopening (the finding confirmed again,
as when appealed). FINDING_STEPS and APPEAL_STEPS are those rules as tables; the functions
below add who may take each step, and write it on the record (reviews, appeals, the
audit log) with the branch's scores recomputed in the same transaction.

Errors are the workflow's own (NotFound, Forbidden, Conflict); api/errors.py maps them to
HTTP once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from pipeline.store import models as m
from pipeline.store.people import holders, person
from pipeline.store.scores import recompute_scores
from rules.checklist import Checklist
from rules.findings import FindingStatus
from rules.wording import DISMISS_REASONS, local_text


class WorkflowError(Exception):
    """A step the workflow refuses, with a sentence that says why."""


class NotFound(WorkflowError):
    """No such finding, branch or appeal among those the caller may see."""


class Forbidden(WorkflowError):
    """The caller may not take this step (role, or separation of duties)."""


class Conflict(WorkflowError):
    """The step does not apply to the status the finding or appeal has now."""


class AppealStatus(StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"
    GRANTED = "granted"


class Step(StrEnum):
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    UNDO = "undo"
    REOPEN = "reopen"
    APPEAL = "appeal"
    UPHOLD = "uphold"
    GRANT = "grant"
    REOPEN_APPEAL = "reopen_appeal"


P, C, D = FindingStatus.PENDING, FindingStatus.CONFIRMED, FindingStatus.DISMISSED

#: (step, the finding's status) → its status after the step; what is not here is refused
FINDING_STEPS: dict[tuple[Step, FindingStatus], FindingStatus] = {
    (Step.CONFIRM, P): C,
    (Step.DISMISS, P): D,
    (Step.UNDO, C): P,
    (Step.UNDO, D): P,
    (Step.REOPEN, C): P,
    (Step.REOPEN, D): P,
    (Step.APPEAL, C): C,  # only a confirmed finding is appealed
    (Step.UPHOLD, C): C,
    (Step.GRANT, C): D,  # the appeal granted
    (Step.REOPEN_APPEAL, C): C,  # an upheld appeal reopened
    (Step.REOPEN_APPEAL, D): C,  # a granted appeal reopened: confirmed, as when appealed
}
#: (step, the finding's latest appeal's status, None: none) → the appeal's status after it
APPEAL_STEPS: dict[tuple[Step, AppealStatus | None], AppealStatus] = {
    (Step.APPEAL, None): AppealStatus.PENDING,  # one appeal per finding
    (Step.UPHOLD, AppealStatus.PENDING): AppealStatus.UPHELD,
    (Step.GRANT, AppealStatus.PENDING): AppealStatus.GRANTED,
    (Step.REOPEN_APPEAL, AppealStatus.UPHELD): AppealStatus.PENDING,
    (Step.REOPEN_APPEAL, AppealStatus.GRANTED): AppealStatus.PENDING,
}
#: the review decisions; "undo" and "reopen" reviews set a finding back to pending
DECISIONS = (Step.CONFIRM, Step.DISMISS)
#: the statuses a decision leaves
DECIDED = (FindingStatus.CONFIRMED, FindingStatus.DISMISSED)
#: how long after a decision its reviewer may undo it without a note
UNDO_S = 60.0


@dataclass(frozen=True)
class Actor:
    """Who takes a step, as the record names them."""

    name: str
    role: str
    #: the person behind the token (pipeline/store/people.py): duties are compared on it;
    #: by default the person the name reads as
    holder: str = ""

    def __post_init__(self) -> None:
        if not self.holder:
            object.__setattr__(self, "holder", person(self.name))

    @property
    def admin(self) -> bool:
        return self.role == "admin"


def _same_person(session: Session, reviewer: str, actor: Actor) -> bool:
    return holders(session, [reviewer])[reviewer] == actor.holder


def lock_branch(session: Session, branch_id: str) -> None:
    """Serialise status changes of one branch: a branch's month of scores is recomputed
    from all its findings, so two concurrent changes must not each miss the other's.
    A no-op write is the lock both PostgreSQL (row lock) and SQLite (database lock) honour."""
    session.execute(
        update(m.Branch)
        .where(m.Branch.id == branch_id)
        .values(updated_at=m.Branch.updated_at)
        .execution_options(synchronize_session=False)
    )


def audit(session: Session, actor: Actor, action: str, finding_id: str, **detail) -> None:
    session.add(
        m.AuditEntry(
            at=datetime.now(UTC),
            actor=actor.name,
            action=action,
            finding_id=finding_id,
            detail={"role": actor.role, "holder": actor.holder, **detail},
        )
    )


def appeal_of(session: Session, finding_id: str) -> m.Appeal | None:
    """The finding's latest appeal, read afresh (call with the branch locked)."""
    return session.scalars(
        select(m.Appeal).where(m.Appeal.finding_id == finding_id).order_by(m.Appeal.id.desc())
    ).first()


def decision_of(entry: m.Appeal) -> str:
    return f"{entry.status} by {entry.decided_by} at {entry.decided_at:%Y-%m-%d %H:%M:%S} UTC"


def _by(finding: m.Finding) -> str:
    last = finding.reviews[-1] if finding.reviews else None
    return f" by {last.reviewer} at {last.at:%Y-%m-%d %H:%M:%S} UTC" if last else ""


def _move(
    session: Session, finding: m.Finding, step: Step, seen: FindingStatus, checklist: Checklist
) -> None:
    """Take `step` on `finding` from the status `seen` (FINDING_STEPS), and rescore its
    branch; 409 if the table has no such step, or if someone changed the finding first:
    the update only matches while the status is still the one seen."""
    new = FINDING_STEPS.get((step, seen))
    if new is None:
        raise Conflict(
            f"finding {finding.id} is {seen}{_by(finding)}: a decided finding changes only "
            f"through undo (its reviewer, within {UNDO_S:g} s) or reopen (its reviewer or an "
            "admin, with a note), then a new review"
        )
    if new == seen:
        return  # the step leaves the finding as it is (an appeal filed, upheld or reopened)
    done = session.execute(
        update(m.Finding)
        .where(m.Finding.id == finding.id, m.Finding.status == seen)
        .values(status=new, updated_at=datetime.now(UTC))
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:
        session.refresh(finding)
        raise Conflict(
            f"finding {finding.id} is {finding.status}{_by(finding)}, not {seen} as you saw "
            "it; reload it and look again"
        )
    session.refresh(finding)
    recompute_scores(session, finding.branch_id, finding.date, checklist)


def _no_appeal(session: Session, finding: m.Finding, step: Step) -> None:
    """409 once the branch has appealed: the appeal, not a review, an undo or a
    reopening, decides the finding."""
    entry = appeal_of(session, finding.id)
    if entry is None:
        return
    if step not in DECISIONS:
        raise Conflict(
            f"the branch has appealed this finding (appeal {entry.id}, {entry.status}); the "
            "appeal, not a reopening, decides it now"
        )
    if entry.status == AppealStatus.PENDING:
        raise Conflict(
            f"the branch has appealed this finding (appeal {entry.id}); its decision, not a "
            "review, changes the finding now"
        )
    raise Conflict(
        f"appeal {entry.id} decided this finding ({decision_of(entry)}); the decision is "
        "final unless an admin reopens the appeal"
    )


def review(
    session: Session,
    actor: Actor,
    finding: m.Finding,
    decision: Step,
    seen: FindingStatus,
    note: str,
    checklist: Checklist,
    reason_code: str | None = None,
) -> None:
    """Confirm or dismiss a pending finding, as the reviewer saw it (`seen`); a dismissal
    may carry a reason code (rules/wording.DISMISS_REASONS) beside its note."""
    if decision not in DECISIONS:
        raise ValueError(f"{decision} is not a review decision")
    if reason_code is not None and (decision != Step.DISMISS or reason_code not in DISMISS_REASONS):
        raise ValueError(f"{reason_code!r} is not a reason to {decision}")
    lock_branch(session, finding.branch_id)  # an appeal filed meanwhile is seen
    session.refresh(finding)
    _no_appeal(session, finding, decision)
    if finding.status != seen:
        raise Conflict(
            f"finding {finding.id} is {finding.status}{_by(finding)}, not {seen} as you saw "
            "it; reload it and look again"
        )
    _move(session, finding, decision, seen, checklist)
    session.add(
        m.Review(
            finding_id=finding.id,
            decision=str(decision),
            note=note,
            reason_code=reason_code,
            reviewer=actor.name,
            at=datetime.now(UTC),
        )
    )
    audit(
        session, actor, "review", finding.id, decision=str(decision), note=note,
        reason_code=reason_code,
    )  # fmt: skip
    session.flush()
    session.refresh(finding)


def set_back(
    session: Session,
    actor: Actor,
    finding: m.Finding,
    step: Step,
    note: str,
    checklist: Checklist,
) -> None:
    """Undo or reopen: a decided finding back to pending, on the record (a review of kind
    "undo" or "reopen", and the audit log), and rescored. Allowed to the reviewer who
    decided it, or an admin (reopen only); an undo only within UNDO_S of the decision.
    Once the branch has appealed, the appeal decides: 409."""
    if step not in (Step.UNDO, Step.REOPEN):
        raise ValueError(f"{step} does not set a finding back")
    lock_branch(session, finding.branch_id)
    session.refresh(finding)
    _no_appeal(session, finding, step)
    last = finding.reviews[-1] if finding.reviews else None
    if (
        (step, FindingStatus(finding.status)) not in FINDING_STEPS
        or last is None
        or (last.decision not in DECISIONS)
    ):
        raise Conflict(f"finding {finding.id} is {finding.status}: no decision to {step}")
    if not _same_person(session, last.reviewer, actor) and (step is Step.UNDO or not actor.admin):
        who = "复核人本人" if step is Step.UNDO else "复核人本人或管理员（admin）"
        verb = "撤销" if step is Step.UNDO else "重新打开"
        when = local_text(last.at, session.get(m.Branch, finding.branch_id).timezone, True)
        raise Forbidden(
            f"只有{who}可以{verb}：{last.reviewer} 于 {when} 作出此决定。"
            f"{last.reviewer} decided this finding ({last.decision} at {when}); only they"
            f"{'' if step is Step.UNDO else ' or an admin'} may {step} it"
        )
    now = datetime.now(UTC)
    if step is Step.UNDO and now - last.at > timedelta(seconds=UNDO_S):
        raise Conflict(
            f"the decision of {last.at:%H:%M:%S} UTC is over {UNDO_S:g} s old: reopen it "
            "with a note instead"
        )
    _move(session, finding, step, FindingStatus(finding.status), checklist)
    session.add(
        m.Review(finding_id=finding.id, decision=str(step), note=note, reviewer=actor.name, at=now)
    )
    audit(
        session,
        actor,
        f"review_{step}",
        finding.id,
        undone=last.decision,
        decided_by=last.reviewer,
        decided_at=last.at.isoformat(),
        note=note,
    )
    session.flush()
    session.refresh(finding)


def file_appeal(session: Session, actor: Actor, finding: m.Finding, reason: str) -> m.Appeal:
    """The branch disputes a confirmed finding; one appeal each."""
    lock_branch(session, finding.branch_id)  # two appeals at once: the second sees the first
    session.refresh(finding)
    if (Step.APPEAL, FindingStatus(finding.status)) not in FINDING_STEPS:
        raise Conflict(f"only confirmed findings can be appealed; this is {finding.status}")
    latest = AppealStatus(finding.appeals[-1].status) if finding.appeals else None
    new = APPEAL_STEPS.get((Step.APPEAL, latest))
    if new is None:
        raise Conflict(f"this finding was already appealed ({latest})")
    entry = m.Appeal(
        finding_id=finding.id, reason=reason, by=actor.name, at=datetime.now(UTC), status=new
    )
    session.add(entry)
    audit(session, actor, "appeal", finding.id, reason=reason)
    session.flush()
    return entry


def decide_appeal(
    session: Session, actor: Actor, entry: m.Appeal, step: Step, note: str, checklist: Checklist
) -> None:
    """Uphold or grant a pending appeal (granting dismisses the finding and rescores its
    branch at once). Whoever reviewed the finding may not decide its appeal."""
    lock_branch(session, entry.finding.branch_id)
    session.refresh(entry)
    # by person, not by token: a second token of the reviewer's, or their name spelt
    # otherwise, is still them (pipeline/store/people.py)
    who = holders(session, (r.reviewer for r in entry.finding.reviews))
    reviewed = [r for r in entry.finding.reviews if who[r.reviewer] == actor.holder]
    if reviewed:
        last = reviewed[-1]
        raise Forbidden(
            f"separation of duties: {actor.holder} reviewed finding {entry.finding_id} "
            f"(as {last.reviewer}: {last.decision} at {last.at:%Y-%m-%d %H:%M:%S} UTC), so "
            "its appeal goes to someone who did not"
        )
    new = APPEAL_STEPS.get((step, AppealStatus(entry.status)))
    now = datetime.now(UTC)
    done = (
        new is not None
        and session.execute(
            update(m.Appeal)
            .where(m.Appeal.id == entry.id, m.Appeal.status == AppealStatus.PENDING)
            .values(status=new, decided_by=actor.name, decided_at=now, decision_note=note)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if not done:
        session.refresh(entry)
        said = {"upheld": "维持扣分", "granted": "撤销扣分"}.get(entry.status, entry.status)
        raise Conflict(
            f"申诉 {entry.id} 已由 {entry.decided_by} 裁决（{said}），只有管理员可以在记录中"
            f"重新打开 · appeal {entry.id} is final: {decision_of(entry)}; only an admin may "
            "reopen it, on the record"
        )
    _move(session, entry.finding, step, FindingStatus(entry.finding.status), checklist)
    audit(
        session, actor, "appeal_decision", entry.finding_id, appeal=entry.id,
        decision=str(step), note=note,
    )  # fmt: skip
    session.refresh(entry)


def reopen_appeal(
    session: Session, actor: Actor, entry: m.Appeal, reason: str, checklist: Checklist
) -> None:
    """Set a decided appeal back to pending, so it is decided again; a granted one's
    finding is confirmed again meanwhile, as it was when appealed. The decision undone
    and the reason are kept in the audit log."""
    lock_branch(session, entry.finding.branch_id)
    session.refresh(entry)
    new = APPEAL_STEPS.get((Step.REOPEN_APPEAL, AppealStatus(entry.status)))
    if new is None:
        raise Conflict(f"appeal {entry.id} is {entry.status}: there is no decision to reopen")
    undone = {
        "status": entry.status,
        "decided_by": entry.decided_by,
        "decided_at": entry.decided_at.isoformat(),
        "note": entry.decision_note,
    }
    _move(
        session, entry.finding, Step.REOPEN_APPEAL, FindingStatus(entry.finding.status), checklist
    )
    entry.status, entry.decided_by, entry.decided_at, entry.decision_note = new, None, None, ""
    audit(
        session, actor, "appeal_reopen", entry.finding_id, appeal=entry.id, reason=reason,
        undone=undone,
    )  # fmt: skip
    session.flush()
