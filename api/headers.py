"""The security headers every response carries: JSON, pages, static files and errors.

The pages load only their own stylesheet and scripts (api/static), draw charts as inline
SVG without style attributes (api/chart.py), keep data in `<script type="application/json">`
blocks (not run, so not scripts to CSP) and fetch, show and play only this site's URLs:
so nothing but 'self' is allowed, and no page may be framed.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on the
    # login form's POST, which the origin check (api/login.py) must refuse
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


#: for a self-contained document (a notice): its own styles, data-URI images and font,
#: nothing else
DOCUMENT_CSP = (
    "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; "
    "base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)

#: a reviewer's draft notice: the document's, and this site's scripts and calls for its
#: "issue" button (api/static/notice.js)
NOTICE_DRAFT_CSP = DOCUMENT_CSP.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
)


class SecurityHeaders:
    """Adds HEADERS to every HTTP response, and `Cache-Control: no-store` to the API's
    (scores and findings must not linger in a shared cache or a browser's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        api = scope["path"].startswith("/api/")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name == "Content-Security-Policy":
                        headers.setdefault(name, value)  # a route may set a narrower one
                    else:
                        headers[name] = value
                if api:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)
