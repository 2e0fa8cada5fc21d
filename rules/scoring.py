"""Check scores: 100 minus capped deductions, kept provisional and final.

The provisional score counts findings still awaiting review, so a branch sees its likely
score the morning after; the final score counts only what a supervisor confirmed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from rules.checklist import Checklist
from rules.findings import Finding, FindingStatus

PROVISIONAL = frozenset({FindingStatus.PENDING, FindingStatus.CONFIRMED})
FINAL = frozenset({FindingStatus.CONFIRMED})


@dataclass(frozen=True)
class Deduction:
    item: str
    occurrences: int
    repeats: int  # occurrences whose deduction was multiplied
    points: float  # after the item's cap
    arithmetic: str


@dataclass(frozen=True)
class CheckScore:
    provisional: float
    final: float
    provisional_deductions: tuple[Deduction, ...]
    final_deductions: tuple[Deduction, ...]


def doubled_items(
    earlier: Iterable[Finding],
    counted: frozenset[FindingStatus],
    under_order: frozenset[str] = frozenset(),
) -> frozenset[str]:
    """The items whose next counted finding is a repeat: those counted in `earlier` (the
    period's previous checks) and those under an open rectification order."""
    return frozenset({f.item for f in earlier if f.status in counted} | set(under_order))


def repeat_marks(
    findings: Iterable[Finding],
    counted: frozenset[FindingStatus],
    *,
    earlier: Iterable[Finding] = (),
    under_order: frozenset[str] = frozenset(),
) -> dict[str, bool]:
    """Finding id → whether it is a repeat: of its item's counted findings, every one but
    the first of the period is, and the first too if the item occurred in `earlier` (the
    period's previous checks) or it is under an open rectification order. `findings` in time order.
    A finding not counted (pending or dismissed, for the final score) is marked with what
    it would be were it counted, the others left as they are: what deciding it will do."""
    seen = set(doubled_items(earlier, counted, under_order))
    marks = {}
    for finding in findings:
        marks[finding.id] = finding.item in seen
        if finding.status in counted:
            seen.add(finding.item)
    return marks


def period_marks(
    findings: Iterable[Finding],
    counted: frozenset[FindingStatus],
    *,
    day_of: Callable[[Finding], date],
    under_order: Callable[[date], frozenset[str]] = lambda _: frozenset(),
) -> dict[str, bool]:
    """`repeat_marks` over a whole period, check day by check day as the scores count
    them (pipeline/store/scores.recompute_scores): each day's findings against the
    earlier days' and the items under an open order that day (`under_order(day)`)."""
    by_day: dict[date, list[Finding]] = defaultdict(list)
    for finding in findings:
        by_day[day_of(finding)].append(finding)
    marks: dict[str, bool] = {}
    earlier: list[Finding] = []
    for day in sorted(by_day):
        todays = sorted(by_day[day], key=lambda f: (f.start, f.id))
        marks |= repeat_marks(todays, counted, earlier=earlier, under_order=under_order(day))
        earlier += todays
    return marks


def deductions(
    findings: Iterable[Finding],
    checklist: Checklist,
    counted: frozenset[FindingStatus],
    *,
    earlier: Iterable[Finding] = (),
    under_order: frozenset[str] = frozenset(),
) -> tuple[Deduction, ...]:
    """Per item: occurrences in this check, each a repeat if the item already occurred in
    the period (`earlier`: findings of the period's previous checks) or was to be fixed."""
    findings = sorted(findings, key=lambda f: (f.start, f.id))
    marks = repeat_marks(findings, counted, earlier=earlier, under_order=under_order)
    by_item: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.status in counted:
            by_item[finding.item].append(finding)
    out = []
    for code in sorted(by_item):
        item = checklist.item(code)
        n = len(by_item[code])
        repeats = sum(marks[f.id] for f in by_item[code])
        raw = item.deduction * ((n - repeats) + repeats * checklist.repeat_factor)
        points = min(raw, item.cap)
        terms = [f"{n - repeats}×{item.deduction:g}"] if n > repeats else []
        if repeats:
            terms.append(f"{repeats}×{item.deduction:g}×{checklist.repeat_factor:g}")
        arithmetic = f"{' + '.join(terms)} = {raw:g}, cap {item.cap:g} → {points:g}"
        out.append(Deduction(code, n, repeats, points, arithmetic))
    return tuple(out)


def score_check(
    findings: Iterable[Finding],
    checklist: Checklist,
    *,
    earlier: Iterable[Finding] = (),
    under_order: frozenset[str] = frozenset(),
) -> CheckScore:
    findings, earlier = list(findings), list(earlier)
    provisional, final = (
        deductions(findings, checklist, counted, earlier=earlier, under_order=under_order)
        for counted in (PROVISIONAL, FINAL)
    )
    return CheckScore(
        provisional=max(0.0, 100.0 - sum(d.points for d in provisional)),
        final=max(0.0, 100.0 - sum(d.points for d in final)),
        provisional_deductions=provisional,
        final_deductions=final,
    )
