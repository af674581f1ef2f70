"""Shared fixtures: where AWS's real artifacts are, a fresh runtime home, and a live local server."""
from __future__ import annotations

from pathlib import Path

import pytest

from servers import start_local_server

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


@pytest.fixture
def local_server(tmp_path):
    server = start_local_server(tmp_path / "server-home")
    yield server
    server.stop()
