"""The API reference behind the login."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

from api.auth import (
    CurrentPrincipal,
)
from api.rendering import Viewer, render

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
def openapi(request: Request, _: CurrentPrincipal):
    return JSONResponse(request.app.openapi())


@router.get("/docs", response_class=HTMLResponse)
def docs(request: Request, principal: Viewer):
    """The API reference, rendered here from the OpenAPI document (no external assets)."""
    return render(request, "docs.html", principal, spec=request.app.openapi())
