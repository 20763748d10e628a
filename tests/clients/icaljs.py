"""Mozilla ical.js (the npm package pinned in package.json), driven through `icaljs.mjs` with node."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SCRIPT = Path(__file__).with_name("icaljs.mjs")


def run(payload: dict[str, Any]) -> Any:
    node = shutil.which("node")
    assert node is not None, "node is needed to run ical.js"
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
        cwd=SCRIPT.parent,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _epoch(instant: datetime) -> int:
    return int(instant.timestamp())


def _instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def expand(ics: bytes | str, start: datetime, end: datetime) -> dict[tuple[str, datetime], datetime]:
    """{(uid, start): end} of every occurrence ical.js shows starting in [start, end)."""
    text = ics.decode() if isinstance(ics, bytes) else ics
    found = run({"mode": "expand", "ics": text, "from": _epoch(start), "to": _epoch(end)})
    expanded = {(item["uid"], _instant(item["start"])): _instant(item["end"]) for item in found}
    assert len(expanded) == len(found), "ical.js shows one occurrence twice"
    return expanded
