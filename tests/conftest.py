"""Shared fixtures: the real footage beside the repository, and a socket guard."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("YOLO_OFFLINE", "1")
os.environ.setdefault("YOLO_AUTOINSTALL", "False")

REPO = Path(__file__).resolve().parents[1]
FOOTAGE = Path(os.environ.get("BRANCH_AUDIT_FOOTAGE", REPO.parent / "shared" / "footage"))
DATA = Path(__file__).resolve().parent / "data"


def footage_file(name: str) -> Path:
    path = FOOTAGE / name
    if not path.is_file():
        pytest.skip(f"real footage {name} not found under {FOOTAGE}")
    return path


@pytest.fixture
def footage():
    return footage_file
