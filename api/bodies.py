"""Requests that change state, at the edge, before any route sees them: one sent with the
browser's session cookie comes from this site's own pages (its Origin, or Referer, is
this app's: another port of the same host is another site, which SameSite does not
stop), an API caller is known before their body is read, no body is read past the
limit, and a JSON body is strict JSON.

FastAPI reads and parses a route's body before it solves the route's dependencies, the
caller's token among them (fastapi/routing.py, `get_request_handler`): without this a
caller with no token could make the server read and parse 50 MB. And Python's json
module takes `NaN`, `Infinity`, numbers too large to be finite and lone surrogates
("\\ud800"), which no database column and no JSON response can hold.
"""

from __future__ import annotations

import json
from typing import Any, NoReturn

from fastapi import HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import COOKIE, caller, current_principal
from api.errors import validation_response
from api.login import check_origin

MAX_BODY = 1_000_000  # bytes; the API's bodies are a decision and a note of ≤ 2000 characters
METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # the methods that carry bodies
#: arrays and objects nested deeper are refused: the API's bodies are flat (a box is a list
#: in an object), and Python's parser and validators recurse (a RecursionError is a 500)
MAX_DEPTH = 32


class RequestBodies:
    """An ASGI middleware: for a request of a method that carries a body, check the origin
    of a cookie's (403), authenticate it (API paths), refuse its body past `max_body` bytes (413) and a JSON body that is not
    strict (422), and only then hand it on."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in METHODS:
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        try:
            if COOKIE in request.cookies and not request.headers.get("authorization"):
                check_origin(request)  # a change made with the browser's session cookie
            if scope["path"].startswith("/api/"):
                await _authenticate(request)
            body = await self._read(request)
        except HTTPException as exc:
            return await (await http_exception_handler(request, exc))(scope, receive, send)
        if body and _is_json(request.headers.get("content-type", "")):
            problem = _json_problem(body)
            if problem is not None:
                return await validation_response([problem])(scope, receive, send)
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, request: Request) -> bytes:
        """The body, or a 413 as soon as it is known to be too long: from Content-Length
        before reading anything, else from the bytes streamed in so far."""
        too_long = HTTPException(
            413, f"the request body is over the limit of {self.max_body} bytes"
        )
        if int(request.headers.get("content-length", 0)) > self.max_body:
            raise too_long
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > self.max_body:
                raise too_long
        return bytes(body)


async def _authenticate(request: Request) -> None:
    """The caller, found once for the request (api/auth.caller: the routes' dependencies
    find it kept), else the 401 they would raise."""
    await run_in_threadpool(lambda: current_principal(caller(request)))


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the client's next
    message (its disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _is_json(content_type: str) -> bool:
    """What FastAPI parses as JSON: application/json and application/*+json."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]} is too large")
    return number


def _integer(text: str) -> int:
    if len(text) > 100:  # Python refuses more than 4300 digits, with advice for programmers
        raise ValueError(f"an integer of {len(text)} digits is too long")
    return int(text)


def _too_deep(value: Any) -> bool:
    """Whether arrays and objects nest over MAX_DEPTH deep in `value` (walked without
    recursion)."""
    level = [value]
    for _ in range(MAX_DEPTH):  # the values inside 1, 2, … MAX_DEPTH arrays or objects
        level = [
            child
            for v in level
            if isinstance(v, list | dict)
            for child in (v.values() if isinstance(v, dict) else v)
        ]
    return any(isinstance(v, list | dict) for v in level)


def _json_problem(body: bytes) -> dict | None:
    """None if `body` is strict JSON (UTF-8, nested at most MAX_DEPTH deep, finite
    numbers, no lone surrogates), else the validation error saying why."""
    try:
        text = body.decode("utf-8")
        value = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite, parse_int=_integer
        )
        if _too_deep(value):
            raise RecursionError
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except json.JSONDecodeError as exc:
        return {
            "loc": ("body", exc.pos),
            "msg": f"JSON decode error: {exc.msg}",
            "type": "json_invalid",
        }
    except UnicodeDecodeError:
        return {"loc": ("body",), "msg": "the body is not UTF-8 text", "type": "json_invalid"}
    except UnicodeEncodeError:
        return {
            "loc": ("body",),
            "msg": "text holds a lone surrogate (\\ud800-\\udfff), which is no character",
            "type": "json_invalid",
        }
    except RecursionError:
        return {
            "loc": ("body",),
            "msg": f"arrays and objects nested over {MAX_DEPTH} deep",
            "type": "json_invalid",
        }
    except ValueError as exc:  # NaN, Infinity, 1e999, a 101-digit integer
        return {"loc": ("body",), "msg": str(exc), "type": "json_invalid"}
    return None
