"""Server-rendered pages for supervisors and branches; their scripts call the JSON API.

The login form trades a pasted token for a server-side session (api/login.py) whose id
an HttpOnly, SameSite=Strict cookie holds, which the API accepts like a bearer token; a
page asked for without one redirects to the login.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy import func, select
from starlette.exceptions import HTTPException as StarletteHTTPException

from api import exports
from api.attempts import TooManyTries, client_of
from api.auth import (
    COOKIE,
    Can,
    CurrentPrincipal,
    Principal,
    Role,
    live_session,
    live_token,
    optional_principal,
    principal_of,
    scoped,
    visible_branches,
)
from api.chart import score_chart
from api.deps import AppSettings, DbSession
from api.errors import allowed_methods
from api.headers import DOCUMENT_CSP
from api.login import SESSION_LIFETIME, check_login, check_origin, close_session, open_session
from api.orders import list_orders
from api.queries import (
    FindingFilter,
    assess,
    branch_or_404,
    detail_of,
    find_appeals,
    find_findings,
    finding_or_404,
    last_decisions,
    pricing,
    zone_labels,
)
from api.routes.assessments import PeriodLabel, PolicyName
from api.schemas import BRANCH_ID, CAMERA_ID, FINDING_ID, ITEM_CODE, check_out, finding_out
from pipeline.report.notice import NoticeError, build_notice, render_notice
from pipeline.store import models as m
from pipeline.store.reviews import UNDO_S, AppealStatus
from pipeline.store.zones import zone_choices
from rules.assessment import OUTCOME_NAMES
from rules.findings import FindingStatus
from rules.wording import local_text, utc_text

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parents[1] / "templates")
templates.env.filters["utc"] = utc_text  # a stored time, shown with its zone
templates.env.filters["local"] = local_text  # a stored time on a branch's clock, labelled


class LoginRequired(Exception):
    """A page was asked for without a valid login."""


def page_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise LoginRequired
    return principal


Viewer = Annotated[Principal, Depends(page_principal)]


def _page(request: Request, name: str, principal: Principal | None, **context):
    nav = []
    if principal is not None:
        if principal.can(Can.REVIEW):
            nav.append(("/review", "复核队列 Review"))
        if principal.can(Can.READ_SCORES):
            nav.append(("/branches", "网点 Branches"))
        if principal.can(Can.READ_FINDINGS):
            nav.append(("/reviewed", "已复核 Reviewed"))
            nav.append(("/appeals", "申诉 Appeals"))
        nav += [("/assessments", "考核 Assessments"), ("/docs", "API")]
    return templates.TemplateResponse(
        request, name, {"principal": principal, "nav": nav, "path": request.url.path, **context}
    )


def _require(principal: Principal, what: Can) -> None:
    if not principal.can(what):
        raise HTTPException(403, f"role {principal.role} may not {what}")


def _safe_next(target: str | None) -> str:
    """Only paths on this site, so the login cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, expired: bool = False):
    """The login form; `expired`: a page lost its login mid-work (api/static/api.js kept
    what was typed, and the page puts it back once logged in again)."""
    said = (
        "登录已失效，请重新登录；未保存的备注已保留。Your login has ended: log in again; "
        "the note you were writing is kept."
        if expired
        else None
    )
    return _page(request, "login.html", None, next=_safe_next(next), error=said)


def _login_refused(
    request: Request, next: str, status: int, error: str, headers: dict[str, str] | None = None
):
    response = _page(request, "login.html", None, next=_safe_next(next), error=error)
    response.status_code = status
    response.headers.update(headers or {})
    return response


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
):
    check_origin(request)
    now = datetime.now(UTC)
    try:
        row = check_login(
            settings.db, session, client_of(request), token.strip(), now, settings.failures
        )
    except TooManyTries as exc:
        error = (
            f"登录失败次数过多，请 {exc.wait} 秒后再试 "
            f"Too many failed logins: try again in {exc.wait} s"
        )
        return _login_refused(request, next, 429, error, {"Retry-After": str(exc.wait)})
    if row is None:
        return _login_refused(request, next, 401, "无效的令牌 Invalid token")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        COOKIE,
        open_session(session, row, now),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=int(SESSION_LIFETIME.total_seconds()),
    )
    return response


@router.post("/logout")
def logout(request: Request, session: DbSession):
    check_origin(request)
    if session_id := request.cookies.get(COOKIE):
        close_session(session, session_id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


@router.get("/")
def home(principal: Viewer):
    if principal.can(Can.REVIEW):
        return RedirectResponse("/review", status_code=303)
    if principal.can(Can.DECIDE_APPEALS):
        return RedirectResponse("/appeals", status_code=303)
    if principal.role is Role.BRANCH:
        return RedirectResponse(f"/branches/{quote(principal.branch)}", status_code=303)
    return RedirectResponse("/assessments", status_code=303)


DAY = r"^(\d{4}-\d{2}-\d{2})?$"
NAME = r"^[^\x00]{0,128}$"


def _day(text: str, name: str) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise HTTPException(422, f"{name}: not a calendar date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class PageFilters:
    """The filter form's fields as sent (an empty field means "all"), and the query-layer
    filter they make."""

    form: dict[str, str]
    where: FindingFilter


def page_filters(
    branch: Annotated[str, Query(pattern="^$|" + BRANCH_ID)] = "",
    day: Annotated[str, Query(alias="date", pattern=DAY)] = "",
    date_from: Annotated[str, Query(alias="from", pattern=DAY)] = "",
    date_to: Annotated[str, Query(alias="to", pattern=DAY)] = "",
    item: Annotated[str, Query(pattern="^$|" + ITEM_CODE)] = "",
    status: Annotated[str, Query(pattern="^(|pending|confirmed|dismissed)$")] = "",
    camera: Annotated[str, Query(pattern="^$|" + CAMERA_ID)] = "",
    zone: Annotated[str, Query(pattern="^$|" + CAMERA_ID)] = "",
    min_confidence: Annotated[str, Query(pattern=r"^(|0(\.\d{1,4})?|1(\.0{1,4})?)$")] = "",
    reviewer: Annotated[str, Query(pattern=NAME)] = "",
) -> PageFilters:
    form = {
        "branch": branch, "date": day, "from": date_from, "to": date_to, "item": item,
        "status": status, "camera": camera, "zone": zone, "min_confidence": min_confidence,
        "reviewer": reviewer.strip(),
    }  # fmt: skip
    where = FindingFilter(
        branch=branch or None,
        day=_day(day, "date"),
        date_from=_day(date_from, "from"),
        date_to=_day(date_to, "to"),
        item=item or None,
        status=FindingStatus(status) if status else None,
        camera=camera or None,
        zone=zone or None,
        min_confidence=float(min_confidence) if min_confidence else None,
        reviewer=reviewer.strip() or None,
    )
    return PageFilters(form, where)


Filters = Annotated[PageFilters, Depends(page_filters)]
FILTER_LABELS = {  # the filter form's fields, named in the closed filter box's summary
    "branch": "网点", "date": "日期", "from": "从", "to": "到", "item": "项目", "status": "状态",
    "camera": "摄像头", "zone": "区域", "min_confidence": "置信度 ≥", "reviewer": "复核人",
}  # fmt: skip


def _finding_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Principal,
    filters: PageFilters,
    row: m.Finding | None,
):
    """The finding page: the finding (clip, key frame, timeline, facts, history) and, for
    a reviewer, the queue of pending findings beside it, filtered as asked."""
    queue = None
    if principal.can(Can.REVIEW):
        where = replace(filters.where, status=FindingStatus.PENDING)
        queue = find_findings(session, settings.checklist, settings.fines, principal, where, 1, 200)
        if row is None and queue.items:
            row = finding_or_404(session, principal, queue.items[0].id)
    detail = detail_of(session, settings.checklist, settings.fines, row) if row else None
    data = {
        "finding": detail.model_dump(mode="json") if detail else None,
        "queue": queue.model_dump(mode="json") if queue else None,
        "filters": {k: v for k, v in filters.form.items() if v},
        "me": {"name": principal.name, "role": str(principal.role)},
        "can_review": principal.can(Can.REVIEW),
        "undo_s": UNDO_S,
    }
    return _page(
        request,
        "finding.html",
        principal,
        data=data,
        finding=detail,
        filters=filters.form,
        filter_labels=FILTER_LABELS,
        queued=queue is not None,
        branches=visible_branches(session, principal),
        items=settings.checklist.items,
        zones=_zone_choices(session, principal),
    )


def _zone_choices(session: DbSession, principal: Principal) -> list[str]:
    """The stored zones of the caller's branches, for the finding filters to offer."""
    return zone_choices(session, [b.id for b in visible_branches(session, principal)])


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request, session: DbSession, settings: AppSettings, principal: Viewer, filters: Filters
):
    """The queue: its first pending finding's page, the queue beside it."""
    _require(principal, Can.REVIEW)
    return _finding_page(request, session, settings, principal, filters, None)


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    filters: Filters,
    finding_id: Annotated[str, PathParam(pattern=FINDING_ID)],
):
    """One finding, for everyone who may read it (a branch manager: their branch's)."""
    _require(principal, Can.READ_FINDINGS)
    row = finding_or_404(session, principal, finding_id)
    return _finding_page(request, session, settings, principal, filters, row)


@router.get("/reviewed", response_class=HTMLResponse)
def reviewed_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    filters: Filters,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """Decided findings, newest first, with who decided them and why."""
    _require(principal, Can.READ_FINDINGS)
    where = replace(filters.where, decided=True)
    branches = visible_branches(session, principal)
    found = find_findings(
        session, settings.checklist, settings.fines, principal, where, page, 50, newest_first=True
    )
    return _page(
        request,
        "reviewed.html",
        principal,
        found=found,
        last=last_decisions(session, [f.id for f in found.items]),
        filters=filters.form,
        query="&".join(f"{k}={quote(v)}" for k, v in filters.form.items() if v),
        branches=branches,
        zone_of={b.id: b.timezone for b in branches},
        items=settings.checklist.items,
        zones=_zone_choices(session, principal),
        pages=max(1, -(-found.total // found.per_page)),
    )


@router.get("/branches", response_class=HTMLResponse)
def branches_page(request: Request, session: DbSession, principal: Viewer):
    _require(principal, Can.READ_SCORES)
    latest = {
        row.branch_id: row
        for row in session.scalars(
            scoped(select(m.CheckScore), principal, m.CheckScore.branch_id).order_by(
                m.CheckScore.date
            )
        )
    }
    pending = dict(
        session.execute(
            scoped(
                select(m.Finding.branch_id, func.count()).where(
                    m.Finding.status == FindingStatus.PENDING
                ),
                principal,
                m.Finding.branch_id,
            ).group_by(m.Finding.branch_id)
        ).all()
    )
    return _page(
        request,
        "branches.html",
        principal,
        branches=visible_branches(session, principal),
        latest=latest,
        pending=pending,
        can_review=principal.can(Can.REVIEW),  # others see the count, not the queue's link
    )


@router.get("/branches/{branch_id}", response_class=HTMLResponse)
def branch_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch_id: Annotated[str, PathParam(pattern=BRANCH_ID)],
):
    """Score over time, the branch's findings, and (for the branch) appeals to file."""
    _require(principal, Can.READ_SCORES)
    branch = branch_or_404(session, principal, branch_id)
    rows = session.scalars(
        select(m.CheckScore).where(m.CheckScore.branch_id == branch.id).order_by(m.CheckScore.date)
    ).all()
    findings = []
    if principal.can(Can.READ_FINDINGS):
        found = session.scalars(
            select(m.Finding)
            .where(m.Finding.branch_id == branch.id)
            .order_by(m.Finding.start.desc())
        ).all()
        prices = pricing(session, settings.checklist, settings.fines, list(found))
        last = last_decisions(session, [f.id for f in found])
        tz = ZoneInfo(branch.timezone)
        findings = [
            (
                finding_out(f, branch.timezone, settings.checklist, prices[f.id]),
                f.appeals[-1] if f.appeals else None,
                f"{last[f.id].reviewer} · {last[f.id].at.astimezone(tz):%m-%d %H:%M} "
                f"({branch.timezone})"
                if f.id in last
                else "",
            )
            for f in found
        ]
    orders = list_orders(session, principal, branch.id) if principal.can(Can.READ_FINDINGS) else []
    return _page(
        request,
        "branch.html",
        principal,
        branch=branch,
        checks=[check_out(r, branch.region, settings.checklist) for r in rows],
        chart=score_chart([(r.date, r.provisional, r.final) for r in rows]),
        findings=findings,
        zones=zone_labels(session, [f for f, *_ in findings]),
        can_appeal=principal.can(Can.APPEAL),
        can_review=principal.can(Can.REVIEW),
        names={item.code: item.name_zh for item in settings.checklist.items},
        weeks=sorted({iso_week(r.date) for r in rows}, reverse=True),
        open_orders=sum(o.status == "open" for o in orders),
        can_read_findings=principal.can(Can.READ_FINDINGS),
    )


def iso_week(day: date) -> str:
    """The ISO week a day falls in, as the notices name it: 2026-W45."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@router.get("/branches/{branch_id}/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch_id: Annotated[str, PathParam(pattern=BRANCH_ID)],
):
    """The branch's rectification orders, open first: what, why, by when, who gave and
    who closed each, on the branch's clock; a reviewer closes one here with a note."""
    _require(principal, Can.READ_FINDINGS)
    branch = branch_or_404(session, principal, branch_id)
    orders = sorted(list_orders(session, principal, branch.id), key=lambda o: (o.status, -o.id))
    today = datetime.now(ZoneInfo(branch.timezone)).date()
    return _page(
        request,
        "orders.html",
        principal,
        branch=branch,
        orders=orders,
        today=today,
        items={i.code: i for i in settings.checklist.items},
        clock=lambda at: (
            f"{at.astimezone(ZoneInfo(branch.timezone)):%Y-%m-%d %H:%M} ({branch.timezone})"
        ),
        can_review=principal.can(Can.REVIEW),
    )


@router.get("/appeals", response_class=HTMLResponse)
def appeals_page(request: Request, session: DbSession, settings: AppSettings, principal: Viewer):
    """Appeals to decide (each with its clip, who confirmed the finding and why, and the
    points and yuan at stake) and those decided, on the branch's clock."""
    appeals = find_appeals(session, principal)
    rows = session.execute(
        select(m.Finding, m.Branch.timezone)
        .join(m.Branch)
        .where(m.Finding.id.in_([a.finding_id for a in appeals]))
    ).all()
    prices = pricing(session, settings.checklist, settings.fines, [f for f, _ in rows])
    findings = {f.id: finding_out(f, tz, settings.checklist, prices[f.id]) for f, tz in rows}
    confirmed = {  # the review that confirmed each finding: who, when, with what note
        f.id: next((r for r in reversed(f.reviews) if r.decision == "confirm"), None)
        for f, _ in rows
    }
    return _page(
        request,
        "appeals.html",
        principal,
        pending=[(a, findings[a.finding_id]) for a in appeals if a.status == AppealStatus.PENDING],
        decided=[
            (a, findings[a.finding_id])
            for a in reversed(appeals)
            if a.status != AppealStatus.PENDING
        ],
        zone_of={f.id: tz for f, tz in rows},
        confirmed=confirmed,
        zones=zone_labels(session, findings.values()),
        can_decide=principal.can(Can.DECIDE_APPEALS),
        can_appeal=principal.can(Can.APPEAL),
    )


@router.get("/assessments", response_class=HTMLResponse)
def assessments_page(
    request: Request,
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    policy: PolicyName = "B",
    period: PeriodLabel = None,
):
    _require(principal, Can.READ_SCORES)
    try:
        report, error = assess(session, settings.checklist, principal, policy, period or None), None
    except HTTPException as exc:
        report, error = None, exc.detail
    query = f"policy={policy}" + (f"&period={quote(period)}" if period else "")
    # the generated time on the branches' clock when they share one (else UTC, labelled)
    clocks = {b.timezone for b in visible_branches(session, principal)}
    return _page(
        request,
        "assessments.html",
        principal,
        report=report,
        error=error,
        policy=policy,
        period=period or "",
        query=query,
        outcomes=OUTCOME_NAMES,
        columns=exports.PAGE_COLUMNS,
        clock=clocks.pop() if len(clocks) == 1 else "UTC",
        numeric=exports.NUMERIC,
    )


@router.get("/notices/{branch_id}/{week}", response_class=HTMLResponse)
def notice_page(
    session: DbSession,
    settings: AppSettings,
    principal: Viewer,
    branch_id: Annotated[str, PathParam(pattern=BRANCH_ID)],
    week: Annotated[str, PathParam(pattern=r"^\d{4}-W\d{2}$")],
):
    """The week's rectification notice (pipeline/report/notice.py), for the branch and
    those who review it."""
    _require(principal, Can.READ_FINDINGS)
    branch = branch_or_404(session, principal, branch_id)
    try:
        notice = build_notice(
            session, branch, week, settings.checklist, settings.fines, settings.evidence_root
        )
    except NoticeError as exc:
        raise HTTPException(422, str(exc)) from None
    return HTMLResponse(render_notice(notice), headers={"Content-Security-Policy": DOCUMENT_CSP})


@router.get("/openapi.json")
def openapi(request: Request, _: CurrentPrincipal):
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, principal: Viewer):
    """The API reference, rendered here from the OpenAPI document (no external assets)."""
    return _page(request, "docs.html", principal, spec=request.app.openapi())


def install(app: FastAPI) -> None:
    """Pages answer errors in HTML and send a visitor without a login to the login form."""

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def html_errors(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith(("/api/", "/static/", "/openapi.json")):
            response = await http_exception_handler(request, exc)
            if exc.status_code == 405:
                response.headers["Allow"] = allowed_methods(request.app, request.url.path)
            return response
        response = _page(
            request,
            "error.html",
            _request_principal(request),
            status=exc.status_code,
            title=ERROR_TITLES.get(exc.status_code, ""),
            reason=ERROR_REASONS.get(exc.status_code, ""),
            detail=exc.detail,
            back=_same_site_referer(request),
        )
        response.status_code = exc.status_code
        return response

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        """A bug: pages say so with their navigation; the API keeps Starlette's answer."""
        if request.url.path.startswith(("/api/", "/static/", "/openapi.json")):
            return PlainTextResponse("Internal Server Error", status_code=500)
        detail = "服务器出错，已记录。Something went wrong on the server; it has been logged."
        response = _page(
            request, "error.html", _request_principal(request), status=500,
            title=ERROR_TITLES[500], detail=detail, back=_same_site_referer(request),
        )  # fmt: skip
        response.status_code = 500
        return response


ERROR_TITLES = {
    400: "请求有误 Bad request",
    403: "无权访问 Not allowed",
    404: "未找到 Not found",
    405: "不支持的方法 Method not allowed",
    409: "冲突 Conflict",
    422: "输入有误 Invalid input",
    429: "请求过多 Too many requests",
    500: "服务器错误 Server error",
}
#: what a refusal means, in Chinese, above the reason the route gave in English
ERROR_REASONS = {
    403: "您的角色不能查看此页或做此操作；如确有需要，请联系管理员。",
    404: "没有这个网点或记录，或它不在您可查看的范围内（网点只看本网点，督导只看本区域）。",
}


def _request_principal(request: Request) -> Principal | None:
    """Who is asking (bearer token or login cookie), for an error page's navigation: its
    handler runs outside the routes' dependencies."""
    session_id = request.cookies.get(COOKIE)
    bearer = request.headers.get("authorization", "")
    token = bearer[7:].strip() if bearer[:7].lower() == "bearer " else ""
    if not (session_id or token):
        return None
    now = datetime.now(UTC)
    with request.app.state.settings.db.session() as session:
        if token:
            row = live_token(session, token, now)
        else:
            row = (live_session(session, session_id, now) or (None, None))[0]
        return principal_of(row) if row is not None else None


def _same_site_referer(request: Request) -> str | None:
    """The page the visitor came from, as a path, when it is one of this site's."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc != request.url.netloc or parts.path == request.url.path:
        return None
    return (
        _safe_next(parts.path + (f"?{parts.query}" if parts.query else "")) if parts.path else None
    )
