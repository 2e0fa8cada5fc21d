"""How the API answers what goes wrong: `{"detail": "a sentence"}` for every error but a
422, FastAPI's validation shape (`{"detail": [{loc, msg, type}]}`) for every 422, and
the OpenAPI entries that say so for each route."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

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
    @app.exception_handler(WorkflowError)
    async def workflow_refused(request: Request, exc: WorkflowError):
        """Answered as the HTTP error it maps to, by whichever handler answers those (the
        pages' HTML error page, or the API's JSON)."""
        handler = request.app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
        return await handler(request, as_http(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(exc.errors())

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
