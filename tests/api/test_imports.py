"""No module of the API imports another's private names (a leading underscore): what two
modules share is public in the one that holds it. Route modules importing each other at
all is refused by the import contracts (pyproject.toml, `lint-imports`)."""

from __future__ import annotations

import ast
from pathlib import Path

API = Path(__file__).resolve().parents[2] / "api"


def _private_imports(path: Path) -> list[str]:
    own = ".".join(path.relative_to(API.parent).with_suffix("").parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module != own:
            found += [
                f"{own}: from {node.module} import {a.name}"
                for a in node.names
                if a.name.startswith("_") and not a.name.startswith("__")
            ]
    return found


def test_no_module_of_the_api_imports_another_s_private_names():
    modules = sorted(API.rglob("*.py"))
    assert len(modules) > 20
    assert [hit for path in modules for hit in _private_imports(path)] == []
