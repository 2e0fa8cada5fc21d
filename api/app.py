"""The web service: the JSON API, its documentation and the supervisors' pages, one app."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from api import errors
from api.bodies import MAX_BODY, RequestBodies
from api.deps import AppState
from api.headers import SecurityHeaders
from api.routes import (
    appeals,
    assessments,
    branches,
    candidates,
    checks,
    findings,
    notices,
    orders,
    pages,
    zone_editor,
)
from detectors.registry import load_detector
from pipeline.evidence.clips import write_moment
from pipeline.evidence.moments import MOMENTS_BUDGET, MomentDrawer
from pipeline.fonts import FOLDER as FONTS
from pipeline.store.db import Database
from rules.checklist import load_checklist
from rules.policies import load_policy

STATIC = Path(__file__).resolve().parent / "static"


class _App(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        """The security headers outermost: outside Starlette's ServerErrorMiddleware,
        so that even a 500 carries them."""
        return SecurityHeaders(super().build_middleware_stack())


def create_app(
    db_url: str | None = None,
    evidence_root: str | Path = "evidence",
    checklist: str | Path | None = None,
    max_body: int = MAX_BODY,
    forwarded_allow_ips: str | None = None,
    moments_budget: int = MOMENTS_BUDGET,
) -> FastAPI:
    """An app over the database at `db_url` (migrated on start), serving evidence files
    from under `evidence_root` only, refusing request bodies over `max_body` bytes.

    X-Forwarded-For and -Proto are believed only from the proxies `forwarded_allow_ips`
    names (addresses or networks, comma-separated, as `serve --forwarded-allow-ips`);
    from anyone else they are ignored, so a client cannot choose the address its failed
    logins are counted and audited under (api/attempts.py). Clips of moments are drawn
    by the night's default model, first loaded when one is asked for, and kept under
    `moments_budget` bytes."""
    app = _App(
        title="branch-audit",
        version="1",
        summary="Findings, reviews, appeals, check scores and assessments of bank branches.",
        docs_url=None,  # /docs and /openapi.json are served behind the login, offline
        redoc_url=None,
        openapi_url=None,
    )
    root, rules, detector = (
        Path(evidence_root).resolve(),
        load_checklist(checklist),
        cache(load_detector),
    )
    app.state.settings = AppState(
        db=Database(db_url),
        evidence_root=root,
        checklist=rules,
        fines=load_policy("B").fines,
        moments=MomentDrawer(
            root,
            lambda request, tell: write_moment(
                request, detector(), root, checklist=rules, progress=tell
            ),
            budget=moments_budget,
        ),
    )
    for module in (branches, checks, findings, appeals, orders, notices, assessments):
        app.include_router(module.router, responses=errors.error_responses(401, 429))
    app.include_router(candidates.router, responses=errors.error_responses(401, 429))
    app.include_router(pages.router)
    app.include_router(candidates.page_router)
    app.include_router(zone_editor.router)
    errors.install(app)
    app.add_middleware(RequestBodies, max_body=max_body)
    if forwarded_allow_ips:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=forwarded_allow_ips)
    # the CJK font lives with the documents that inline it (pipeline/report/webfont.py)
    app.mount("/static/fonts", StaticFiles(directory=FONTS), name="fonts")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
