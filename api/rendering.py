"""What every server-rendered page shares: the templates, the login a page requires, the
navigation, and the role check that answers 403 in the page's own words."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates

from api.auth import Can, Principal, optional_principal, refusal
from rules.wording import DISMISS_REASONS, STATUS_NAMES, local_text, utc_text

templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
templates.env.filters["utc"] = utc_text  # a stored time, shown with its zone
templates.env.filters["local"] = local_text  # a stored time on a branch's clock, labelled
templates.env.globals["dismiss_reasons"] = DISMISS_REASONS  # a review's reason code in words
templates.env.globals["status_names"] = {str(k): v for k, v in STATUS_NAMES.items()}


class LoginRequired(Exception):
    """A page was asked for without a valid login."""


def page_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise LoginRequired
    return principal


Viewer = Annotated[Principal, Depends(page_principal)]


def render(request: Request, name: str, principal: Principal | None, **context):
    """Template `name` with the navigation `principal`'s role may use (none when logged out)."""
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
        if principal.can(Can.REVIEW):
            nav.append(("/candidates", "手机候选 Phone candidates"))
    return templates.TemplateResponse(
        request, name, {"principal": principal, "nav": nav, "path": request.url.path, **context}
    )


def require_can(principal: Principal, what: Can) -> None:
    if not principal.can(what):
        raise HTTPException(403, refusal(principal.role, what))


def safe_next(target: str | None) -> str:
    """Only paths on this site, so the login cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
