"""The packaged templates and zips under test: `make package` builds them; a stale or missing
stage is rebuilt here (without cfn-lint, which `make package` runs), so this suite also works alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scripts import package

STAGES = package.STAGES


@pytest.fixture(scope="session")
def packaged() -> dict[str, Path]:
    """Each deployable stage's `out/package/<stage>` directory, built from the current inputs."""
    stale = [stage for stage in STAGES if not package.is_fresh(stage)]
    if stale:
        package.package(stale, run_lint=False)
    return {stage: package.OUT / stage for stage in STAGES}


@pytest.fixture(scope="session")
def templates(packaged: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {stage: json.loads((path / "sam.json").read_text()) for stage, path in packaged.items()}


@pytest.fixture(scope="session")
def manifests(packaged: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {stage: json.loads((path / "manifest.json").read_text()) for stage, path in packaged.items()}
