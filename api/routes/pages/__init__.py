"""Server-rendered pages for supervisors and branches, a module per page; their scripts
call the JSON API.

The login form trades a pasted token for a server-side session (api/login.py) whose id
an HttpOnly, SameSite=Strict cookie holds, which the API accepts like a bearer token; a
page asked for without one redirects to the login (api/errors.py).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.routes.pages import appeals, assessments, branches, findings, login, notices, reference

router = APIRouter(include_in_schema=False)
for _module in (login, findings, branches, appeals, assessments, notices, reference):
    router.include_router(_module.router)
