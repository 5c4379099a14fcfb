"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Reports must embed images; an exported Agg backend makes papermill kernels emit none.
os.environ.pop("MPLBACKEND", None)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
