"""How the API answers what goes wrong: `{"detail": "a sentence"}` for every error but a
422, FastAPI's validation shape (`{"detail": [{loc, msg, type}]}`) for every 422, and
the OpenAPI entries that say so for each route."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.auth import Principal, caller
from api.rendering import LoginRequired, render, safe_next
from pipeline.store.reviews import Conflict, Forbidden, NotFound, WorkflowError
from rules.periods import PeriodError


class ErrorOut(BaseModel):
    detail: str


_WHY = {
    401: "missing or invalid token",
    403: "the caller's role may not do this",
    404: "not found among the branches the caller may see",
    413: "the request body is over the server's limit (`serve --max-body`)",
    429: "too many failed logins or invalid tokens from this address: wait Retry-After seconds",
}


def error_responses(*codes: int, conflict: str | None = None) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI entries of these error statuses (and of 409, described by `conflict`)."""
    out: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorOut, "description": _WHY[code]} for code in codes
    }
    if conflict:
        out[409] = {"model": ErrorOut, "description": conflict}
    return out


# What a file route (FileResponse, which honours Range) answers besides the file itself.
BYTE_RANGES: dict[int | str, dict[str, Any]] = {
    206: {"description": "the byte range asked for"},
    400: {"description": "a malformed Range header", "content": {"text/plain": {}}},
    416: {"description": "a Range outside the file", "content": {"text/plain": {}}},
}


class PeriodRefused(HTTPException):
    """A period the policy cannot judge. The pages show its message; the API answers it
    as the `period` parameter's validation error, a 422 like any other (the period as
    sent left out of it)."""

    def __init__(self, error: PeriodError, label: str | None = None) -> None:
        super().__init__(422, str(error))
        self.label = label


def _text(value: str) -> str:
    """`value` with lone surrogates escaped, so that it encodes as UTF-8 JSON."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


#: what stands in a message for the input it would have echoed
HIDDEN = "…"


def _unechoed(message: str, given: Any) -> str:
    """`message` without the input it was about: a message built from the input (a
    period's label, a value error's text) would echo what the caller sent, markup too."""
    if not isinstance(given, str):
        return message
    for length in range(min(len(given), 200), 1, -1):  # the input, or the start of it shown
        if given[:length] in message:
            return message.replace(given[:length], HIDDEN)
    return message


def validation_response(problems: Iterable[Mapping[str, Any]]) -> JSONResponse:
    """A 422 in the validation shape. Inputs are never echoed: not as `input` (FastAPI's
    default handler echoes it, and a NaN or a lone surrogate there cannot be encoded: a
    500) and not inside `msg`; dict keys in `loc` and the messages are escaped."""
    detail = [
        {
            "loc": [_text(part) if isinstance(part, str) else part for part in p["loc"]],
            "msg": _text(_unechoed(p["msg"], p.get("input"))),
            "type": p["type"],
        }
        for p in problems
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def allowed_methods(app: FastAPI, path: str) -> str:
    """Every method some route of `path` answers. A 405 names only the first route's
    methods, and a path can have several routes (a GET list beside a POST)."""
    methods = {
        method
        for route in app.router.routes
        if getattr(route, "path_regex", None) is not None and route.path_regex.match(path)
        for method in getattr(route, "methods", None) or ()
    }
    return ", ".join(sorted(methods))


#: the review workflow's errors (pipeline/store/reviews.py) as HTTP statuses: here only
WORKFLOW_STATUS: dict[type[WorkflowError], int] = {NotFound: 404, Forbidden: 403, Conflict: 409}


def as_http(exc: WorkflowError) -> HTTPException:
    status = next(code for kind, code in WORKFLOW_STATUS.items() if isinstance(exc, kind))
    return HTTPException(status, str(exc))


def install(app: FastAPI) -> None:
    """Errors in the API's JSON shapes; pages answer them as an HTML page with their
    navigation, and send a visitor without a login to the login form."""

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _: LoginRequired):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def html_errors(request: Request, exc: StarletteHTTPException):
        if _is_api(request):
            response = await http_exception_handler(request, exc)
            if exc.status_code == 405:
                response.headers["Allow"] = allowed_methods(request.app, request.url.path)
            return response
        response = render(
            request,
            "error.html",
            request_principal(request),
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
        if _is_api(request):
            return PlainTextResponse("Internal Server Error", status_code=500)
        detail = "服务器出错，已记录。Something went wrong on the server; it has been logged."
        response = render(
            request, "error.html", request_principal(request), status=500,
            title=ERROR_TITLES[500], detail=detail, back=_same_site_referer(request),
        )  # fmt: skip
        response.status_code = 500
        return response

    @app.exception_handler(WorkflowError)
    async def workflow_refused(request: Request, exc: WorkflowError):
        """Answered as the HTTP error it maps to, by whichever handler answers those (the
        pages' HTML error page, or the API's JSON)."""
        handler = request.app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
        return await handler(request, as_http(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        """The API's 422; a page shows the same problems, one a line, on its error page."""
        answer = validation_response(exc.errors())
        if _is_api(request):
            return answer
        problems = json.loads(answer.body)["detail"]
        response = render(
            request, "error.html", request_principal(request), status=422,
            title=ERROR_TITLES[422], back=_same_site_referer(request),
            detail="; ".join(f"{p['loc'][-1]}: {p['msg']}" for p in problems),
        )  # fmt: skip
        response.status_code = 422
        return response

    @app.exception_handler(PeriodRefused)
    async def period_refused(_: Request, exc: PeriodRefused) -> JSONResponse:
        return validation_response(
            [
                {
                    "loc": ("query", "period"),
                    "msg": exc.detail,
                    "type": "value_error",
                    "input": exc.label,
                }
            ]
        )


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
#: what a refusal means, Chinese first with English beside, above the reason the route gave
ERROR_REASONS = {
    403: "您的角色不能查看此页或做此操作；如确有需要，请联系管理员。"
    " Your role may not see this page or do this; ask an administrator if you need to.",
    404: "没有这个网点或记录，或它不在您可查看的范围内（网点只看本网点，督导只看本区域）。"
    " There is no such branch or record, or it is outside what you may see (a branch sees"
    " its own, a supervisor their region's).",
}


def _is_api(request: Request) -> bool:
    """Whether the request is the API's (JSON errors), not a page's (an HTML page)."""
    return request.url.path.startswith(("/api/", "/static/", "/openapi.json"))


def request_principal(request: Request) -> Principal | None:
    """Who is asking, for an error page's navigation: its handler runs outside the routes'
    dependencies, so it asks the one lookup (api/auth.caller), which has usually run
    already; a refused token leaves the page logged out."""
    try:
        return caller(request)
    except HTTPException:
        return None


def _same_site_referer(request: Request) -> str | None:
    """The page the visitor came from, as a path, when it is one of this site's."""
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc != request.url.netloc or parts.path == request.url.path:
        return None
    return (
        safe_next(parts.path + (f"?{parts.query}" if parts.query else "")) if parts.path else None
    )
