"""The login form, logging out, and where each role lands after logging in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.attempts import TooManyTries, client_of
from api.auth import (
    COOKIE,
    Can,
    Role,
)
from api.deps import AppSettings, DbSession
from api.login import SESSION_LIFETIME, check_login, check_origin, close_session, open_session
from api.rendering import Viewer, render, safe_next

router = APIRouter(include_in_schema=False)


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
    return render(request, "login.html", None, next=safe_next(next), error=said)


def _login_refused(
    request: Request, next: str, status: int, error: str, headers: dict[str, str] | None = None
):
    response = render(request, "login.html", None, next=safe_next(next), error=error)
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
    response = RedirectResponse(safe_next(next), status_code=303)
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
