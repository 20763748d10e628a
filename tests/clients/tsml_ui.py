"""tsml-ui's own loader (code4recovery/tsml-ui, see tsml_ui/SOURCE.md), bundled by esbuild, run by node."""

from __future__ import annotations

import json
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
ENTRY = HERE / "tsml_ui_load.ts"


@cache
def bundle(out_dir: Path) -> Path:
    """The loader bundled for node by the pinned esbuild (built once per test run)."""
    esbuild = ROOT / "node_modules" / ".bin" / "esbuild"
    assert esbuild.exists(), "npm ci installs esbuild"
    target = out_dir / "tsml_ui_load.cjs"
    built = subprocess.run(
        [
            str(esbuild),
            str(ENTRY),
            "--bundle",
            "--platform=node",
            "--format=cjs",
            "--log-level=error",
            f"--outfile={target}",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    return target


def load(
    feed: Any, out_dir: Path, *, settings: dict[str, Any] | None = None, timezone: str | None = None
) -> dict[str, Any]:
    """What a tsml-ui page makes of `feed`: `error`, `meetings` by slug, the `weekdays` index."""
    node = shutil.which("node")
    assert node is not None, "node is needed to run tsml-ui's loader"
    done = subprocess.run(
        [node, str(bundle(out_dir))],
        input=json.dumps({"feed": feed, "settings": settings or {}, "timezone": timezone}),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
