"""Shared test helpers: where AWS's real artifacts are, and a guard that fails on any network attempt."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures"


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``../shared/fixtures``: real AWS artifacts, read where they are, never copied."""
    assert FIXTURES.is_dir(), f"missing {FIXTURES}: CI keeps shared/ beside the checkout"
    return FIXTURES


@pytest.fixture
def sagelocal_home(tmp_path, monkeypatch) -> Path:
    """A fresh runtime home (local S3 and SQLite stores) for one test."""
    home = tmp_path / "sagelocal-home"
    monkeypatch.setenv("SAGELOCAL_HOME", str(home))
    return home
