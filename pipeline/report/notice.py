"""The weekly rectification notice (每周检查整改通知): one print-friendly page per branch,
Chinese first with English beside, and an index per region — the document the county
branch sends each branch every week.

It holds the week's confirmed findings with their key frames, points and fines (each
marked with the branch's appeal of it, and its outcome once decided), the week's check
scores and coverage, the branch's rectification orders (open, and closed or withdrawn in
the week) with due dates, and which items cost double if they happen again. A reviewer
issues it (api/notices.py): the copy is stored as sent (pipeline/store/notices.py) and is
what the branch reads from then on.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from pipeline.report.webfont import FONT_FACE_MARK, FONT_STACK, with_inline_font
from pipeline.store import models as m
from pipeline.store.fines import doubles_on, stakes_of
from pipeline.store.reviews import AppealStatus
from pipeline.store.zones import stored_zones
from rules.checklist import Checklist
from rules.findings import FindingStatus
from rules.fines import FineRule
from rules.wording import finding_zone, utc_text


class NoticeError(ValueError):
    """The week asked for is not an ISO week (YYYY-Www)."""


def week_days(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week `YYYY-Www`."""
    try:
        year, number = week.split("-W")
        return date.fromisocalendar(int(year), int(number), 1), date.fromisocalendar(
            int(year), int(number), 7
        )
    except ValueError:
        raise NoticeError(f"week {week!r}: expected an ISO week such as 2026-W48") from None


@dataclass(frozen=True)
class NoticeFinding:
    id: str
    item: str
    name_zh: str
    name_en: str
    where: str
    start: str  # branch time
    end: str
    points: float  # what it took off the final score (pipeline/store/fines.stakes_of)
    repeat: bool  # counted double in the score
    fine_yuan: float | None
    fine_rule: str  # Chinese first, English beside (rules/fines.Fine.wording)
    keyframe_uri: str
    #: the branch's appeal of it, as the notice words it ("" when none): APPEAL_MARKS
    appeal: str = ""
    appeal_status: str = ""


#: an appeal's status → its mark on the notice (a granted appeal lifted the finding)
APPEAL_MARKS = {
    AppealStatus.PENDING: "申诉中 Under appeal",
    AppealStatus.UPHELD: "申诉未成立，维持扣分 Appeal upheld: the finding stands",
    AppealStatus.GRANTED: "申诉成立，已撤销扣分 Appeal granted: points and fine lifted",
}


@dataclass(frozen=True)
class NoticeOrder:
    id: int
    item: str
    name_zh: str
    note: str
    due: date | None
    ordered: str
    ordered_by: str
    closed: str | None
    close_note: str
    overdue: bool
    name_en: str = ""
    withdrawn: str | None = None  # when, branch time: given in error, it never counted
    withdraw_reason: str = ""

    @property
    def open(self) -> bool:
        return self.closed is None and self.withdrawn is None


@dataclass(frozen=True)
class NoticeDouble:
    """An item whose next finding counts double, and why (pipeline/store/fines.doubles_on)."""

    item: str
    name_zh: str
    name_en: str
    why: str


@dataclass
class Notice:
    branch: str
    name: str
    region: str
    timezone: str
    week: str
    days: tuple[date, date]
    checks: list[dict] = field(default_factory=list)  # date, provisional, final, coverage, complete
    findings: list[NoticeFinding] = field(default_factory=list)
    orders: list[NoticeOrder] = field(default_factory=list)
    #: items whose next finding (the day after the week) counts double, with why
    doubles: list[NoticeDouble] = field(default_factory=list)

    @property
    def fines_total(self) -> float:
        return sum(f.fine_yuan or 0 for f in self.findings)

    def facts(self) -> dict:
        """What the notice says, as JSON (key frames left out: the page carries them), kept
        with an issued copy (pipeline/store/notices.py)."""
        doc = asdict(self)
        for finding in doc["findings"]:
            finding.pop("keyframe_uri")
        doc["fines_total"] = self.fines_total
        return json.loads(json.dumps(doc, default=str))


def _clock(t: datetime, tz: ZoneInfo) -> str:
    return t.astimezone(tz).strftime("%m-%d %H:%M")


def _data_uri(root: Path, rel: str | None) -> str:
    path = (root / rel).resolve() if rel else None
    if path is None or not path.is_relative_to(root) or not path.is_file():
        return ""
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()


def build_notice(
    session: Session,
    branch: m.Branch,
    week: str,
    checklist: Checklist,
    fines: dict[str, FineRule],
    evidence_root: Path,
) -> Notice:
    first, last = week_days(week)
    tz = ZoneInfo(branch.timezone)
    notice = Notice(branch.id, branch.name, branch.region, branch.timezone, week, (first, last))
    for c in session.scalars(
        select(m.CheckScore)
        .where(m.CheckScore.branch_id == branch.id)
        .where(m.CheckScore.date >= first, m.CheckScore.date <= last)
        .order_by(m.CheckScore.date)
    ):
        notice.checks.append(
            {"date": c.date, "provisional": c.provisional, "final": c.final,
             "coverage": c.coverage, "complete": checklist.complete(c.coverage)}
        )  # fmt: skip
    # the confirmed findings, and those an appeal lifted (dismissed, marked so)
    rows = [
        row
        for row in session.scalars(
            select(m.Finding)
            .where(m.Finding.branch_id == branch.id)
            .where(m.Finding.date >= first, m.Finding.date <= last)
            .order_by(m.Finding.start)
        )
        if row.status == FindingStatus.CONFIRMED
        or (row.appeals and row.appeals[-1].status == AppealStatus.GRANTED)
    ]
    staked = stakes_of(session, rows, checklist, fines)
    zones = stored_zones(session, branch.id)
    for row in rows:
        item = checklist.item(row.item)
        stake = staked[row.id]
        appeal = row.appeals[-1] if row.appeals else None
        counted = row.status == FindingStatus.CONFIRMED
        fine = stake.fine if counted else None
        notice.findings.append(
            NoticeFinding(
                row.id, row.item, item.name_zh, item.name_en,
                f"{','.join(row.cameras)} / {finding_zone(zones, row.cameras, row.zone)}",
                _clock(row.start, tz), _clock(row.end, tz),
                stake.points if counted else 0.0, stake.repeat and counted,
                fine.yuan if fine else None, fine.wording if fine else "",
                _data_uri(evidence_root, row.keyframe),
                APPEAL_MARKS.get(appeal.status, "") if appeal else "",
                appeal.status if appeal else "",
            )
        )  # fmt: skip
    known = {i.code for i in checklist.items}
    for o in session.scalars(
        select(m.RectificationOrder)
        .where(m.RectificationOrder.branch_id == branch.id)
        .order_by(m.RectificationOrder.ordered_at)
    ):
        ended = o.withdrawn_at or o.closed_at
        if ended is not None and ended.astimezone(tz).date() < first:
            continue  # closed or withdrawn before the week
        item = checklist.item(o.item) if o.item in known else None
        notice.orders.append(
            NoticeOrder(
                o.id, o.item, item.name_zh if item else "", o.note, o.due,
                _clock(o.ordered_at, tz), o.ordered_by,
                _clock(o.closed_at, tz) if o.closed_at else None, o.close_note,
                ended is None and o.due is not None and o.due < last,
                item.name_en if item else "",
                _clock(o.withdrawn_at, tz) if o.withdrawn_at else None, o.withdraw_reason or "",
            )
        )  # fmt: skip
    # what counts double at the next check (the day after the week), as the scores will
    # count it: pipeline/store/fines.doubles_on, through rules/scoring.repeat_marks
    for code, why in sorted(
        doubles_on(session, branch.id, last + timedelta(days=1), checklist, fines).items()
    ):
        item = checklist.item(code)
        notice.doubles.append(NoticeDouble(code, item.name_zh, item.name_en, why))
    return notice


TEMPLATE = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>检查整改通知 Rectification notice {{ n.branch }} {{ n.week }}</title>
<style>
{{ font_face }}
body{font-family:{{ font_stack }};
margin:1.5rem auto;max-width:980px;color:#111827;line-height:1.45;padding:0 1rem}
.scroll{overflow-x:auto;max-width:100%}
h1{font-size:1.4rem;margin:.2rem 0} h2{font-size:1.1rem;margin-top:1.6rem;border-bottom:2px solid #0b4f8a}
.muted{color:#6b7280;font-size:.9rem} table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{border-bottom:1px solid #d1d5db;padding:.3rem .45rem;text-align:left;vertical-align:top}
img.kf{width:200px;max-width:40vw;border-radius:4px} .low{color:#b91c1c;font-weight:600}
.total{font-size:1.1rem;font-weight:600}
.appeal{display:inline-block;border:1px solid #b45309;color:#92400e;border-radius:4px;padding:0 .3rem;font-size:.85rem}
.appeal.granted{border-color:#15803d;color:#166534} .lifted{text-decoration:line-through;color:#6b7280}
.banner{border:2px solid #0b4f8a;border-radius:6px;padding:.5rem .75rem;margin-bottom:1rem}
.banner.draft{border-color:#b45309;background:#fffbeb} .banner button{font:inherit;padding:.3rem .8rem}
@media print{body{margin:0;max-width:none} a{color:inherit;text-decoration:none} tr{break-inside:avoid}}
</style></head><body>
{{ banner }}
<div class="muted">{{ n.region }} · {{ n.week }} ({{ n.days[0] }} – {{ n.days[1] }}, {{ n.timezone }})</div>
<h1>检查整改通知 · Rectification notice</h1>
<div>{{ n.name }} <span class="muted">{{ n.branch }}</span></div>

<h2>本周检查得分 Check scores this week</h2>
{% if n.checks %}<div class="scroll"><table><tr><th>日期 Date</th><th>暂定 Provisional</th><th>最终 Final</th><th>覆盖率 Coverage</th></tr>
{% for c in n.checks %}<tr><td>{{ c.date }}</td><td>{{ '%.1f' % c.provisional }}</td>
<td class="{{ 'low' if c.final < 85 else '' }}">{{ '%.1f' % c.final }}</td>
<td class="{{ '' if c.complete else 'low' }}">{{ '%.0f' % (100 * c.coverage) }}%{% if not c.complete %} 不完整 incomplete{% endif %}</td></tr>{% endfor %}</table></div>
{% else %}<p>本周无检查 No check this week.</p>{% endif %}

<h2>已确认问题 Confirmed findings ({{ n.findings|length }})</h2>
{% if n.findings %}<div class="scroll"><table><tr><th>关键帧 Key frame</th><th>问题 Item</th><th>时间 Time</th><th>扣分 Points</th><th>罚款 Fine</th></tr>
{% for f in n.findings %}<tr id="finding-{{ f.id }}" data-appeal="{{ f.appeal_status }}">
<td>{% if f.keyframe_uri %}<img class="kf" src="{{ f.keyframe_uri }}" alt="key frame {{ f.id }}">{% endif %}</td>
<td><b>{{ f.name_zh }}</b><br>{{ f.name_en }}<br><span class="muted">{{ f.where }}</span>
{% if f.appeal %}<br><span class="appeal {{ f.appeal_status }}">{{ f.appeal }}</span>{% endif %}</td>
<td>{{ f.start }}–{{ f.end[6:] }} <span class="muted">{{ n.timezone }}</span></td>
<td>{% if f.appeal_status == 'granted' %}<span class="lifted">撤销 lifted</span>{% else %}{{ '%g' % f.points }}{% if f.repeat %} <span class="low">重复 repeat</span>{% endif %}{% endif %}</td>
<td>{% if f.fine_yuan is not none %}{{ '%g' % f.fine_yuan }} 元<br><span class="muted">{{ f.fine_rule }}</span>{% else %}—{% endif %}</td></tr>{% endfor %}
</table></div><p class="total">罚款合计 Fines this week: {{ '%g' % n.fines_total }} 元 yuan</p>
{% else %}<p>本周无已确认问题 No confirmed finding this week.</p>{% endif %}

<h2>整改令 Rectification orders</h2>
{% if n.orders %}<div class="scroll"><table><tr><th>#</th><th>问题 Item</th><th>要求 Note</th><th>期限 Due</th><th>状态 Status</th></tr>
{% for o in n.orders %}<tr><td>{{ o.id }}</td><td><b>{{ o.name_zh }}</b><br>{{ o.name_en }}</td>
<td>{{ o.note }}<br><span class="muted">{{ o.ordered }} · {{ o.ordered_by }}</span></td>
<td class="{{ 'low' if o.overdue else '' }}">{{ o.due or '—' }}{% if o.overdue %} 逾期 overdue{% endif %}</td>
<td>{% if o.withdrawn %}已撤回 withdrawn {{ o.withdrawn }}<br><span class="muted">{{ o.withdraw_reason }}（不计加倍 never counted double）</span>
{% elif o.closed %}已关闭 closed {{ o.closed }}<br><span class="muted">{{ o.close_note }}</span>{% else %}<span class="low">未关闭 open</span>{% endif %}</td></tr>{% endfor %}</table></div>
{% else %}<p>无整改令 No rectification order.</p>{% endif %}

<h2>再次发生将加倍扣分 What counts double if it happens again</h2>
{% if n.doubles %}<ul class="doubles">{% for d in n.doubles %}<li><b>{{ d.name_zh }}</b> {{ d.name_en }}：{{ d.why }}</li>{% endfor %}</ul>
{% else %}<p>无 Nothing.</p>{% endif %}
<p class="muted">同一问题重复发生或上级重点整改项目扣分加倍考核 · A repeat of the same problem, or of an item
the branch was told to fix, costs double. 生成于 Generated {{ generated }}.</p>
<p class="muted">对发现有异议，可在网点页面申诉 · To appeal a finding, use the branch's page.</p>
</body></html>
"""

INDEX = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>检查整改通知 {{ region }} {{ week }}</title>
<style>{{ font_face }}
body{font-family:{{ font_stack }};margin:1.5rem auto;max-width:900px;padding:0 1rem}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #d1d5db;padding:.3rem .45rem;text-align:left}</style>
</head><body><h1>检查整改通知 Rectification notices · {{ region }} · {{ week }}</h1>
<div class="scroll"><table><tr><th>网点 Branch</th><th>已确认问题 Findings</th><th>罚款 Fines (元)</th><th>未关闭整改令 Open orders</th></tr>
{% for n in notices %}<tr><td><a href="{{ file(n.branch) }}">{{ n.name }}</a> <small>{{ n.branch }}</small></td>
<td>{{ n.findings|length }}</td><td>{{ '%g' % n.fines_total }}</td>
<td>{{ n.orders|selectattr('open')|list|length }}</td></tr>{% endfor %}</table></div></body></html>
"""

_ENV = Environment(autoescape=True, undefined=StrictUndefined)

#: where a served copy says what it is (draft, or issued when and by whom): stored copies
#: carry the mark, and the page serving one puts its banner there (`finished`)
BANNER_MARK = "<!--notice-banner-->"


def _fonts() -> dict[str, Markup]:
    return {"font_face": Markup(FONT_FACE_MARK), "font_stack": Markup(FONT_STACK)}


def notice_copy(notice: Notice) -> str:
    """The notice as it is issued and stored (pipeline/store/notices.py): its page with
    BANNER_MARK where a served copy says what it is, and FONT_FACE_MARK where the font of
    its characters goes once the banner is in (`finished`)."""
    generated = utc_text(datetime.now(UTC))
    return _ENV.from_string(TEMPLATE).render(
        n=notice, generated=generated, banner=Markup(BANNER_MARK), **_fonts()
    )


def finished(copy: str, banner: str = "") -> str:
    """A copy (`notice_copy`) as served or written: `banner` (markup) in its place, and the
    font of every character, the banner's too, inlined."""
    return with_inline_font(copy.replace(BANNER_MARK, banner, 1))


def render_notice(notice: Notice, banner: str = "") -> str:
    """The notice as a self-contained page, `banner` (markup) at its top."""
    return finished(notice_copy(notice), banner)


def render_index(region: str, week: str, notices: list[Notice]) -> str:
    return with_inline_font(
        _ENV.from_string(INDEX).render(
            region=region or "—", week=week, notices=notices, file=notice_file, **_fonts()
        )
    )


#: a region's index; no branch's notice is named so, whatever its id (notice_file)
INDEX_FILE = "index.html"


def notice_file(branch: str) -> str:
    """A branch's notice: `branch-<id>.html`. Branch ids are plain names (pipeline/site.py
    ID), so no two branches share one and none is the region's INDEX_FILE."""
    return f"branch-{branch}.html"


def _folder(region: str) -> str:
    """A region's folder name: itself when it is a plain name, else a digest of it (the
    region comes from a site file and must not steer where files are written), begun with
    `_`, which no plain name begins with."""
    if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", region) and ".." not in region:
        return region
    return "_region-" + hashlib.sha256(region.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Written:
    notices: list[Path]  # one per branch
    indexes: list[Path]  # one per region


def write_notices(
    session: Session,
    week: str,
    checklist: Checklist,
    fines: dict[str, FineRule],
    evidence_root: Path,
    out: Path,
    branches: list[str] | None = None,
) -> Written:
    """`out/<region>/branch-<branch>.html` for every branch (or those named), and
    `out/<region>/index.html`; returns the files written."""
    week_days(week)
    query = select(m.Branch).order_by(m.Branch.region, m.Branch.id)
    if branches:
        query = query.where(m.Branch.id.in_(branches))
    by_region: dict[str, list[Notice]] = {}
    for branch in session.scalars(query):
        notice = build_notice(session, branch, week, checklist, fines, evidence_root.resolve())
        by_region.setdefault(branch.region, []).append(notice)
    written = Written([], [])
    for region, notices in by_region.items():
        folder = out / _folder(region)
        folder.mkdir(parents=True, exist_ok=True)
        for notice in notices:
            path = folder / notice_file(notice.branch)
            path.write_text(render_notice(notice), encoding="utf-8")
            written.notices.append(path)
        index = folder / INDEX_FILE
        index.write_text(render_index(region, week, notices), encoding="utf-8")
        written.indexes.append(index)
    return written
