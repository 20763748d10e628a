"""One-off: move every upcoming session's `by_start` keys to the hour-bucket layout.

The reminder sweep reads `by_start` by UTC start hour (one partition per hour and shard,
sorted by start minute). Sessions materialised before that layout carry a partition per
minute and are invisible to it; run this once per stage right after deploying:

    HEARTH_TABLE=hearth-prod AWS_REGION=us-east-1 .venv/bin/python -m scripts.reindex_starts

It only rewrites index attributes of scheduled sessions from now on; running it twice is harmless.
"""

from __future__ import annotations

from datetime import UTC, datetime


def main() -> int:
    from chalicelib.store.sessions import SeriesRepository, SessionRepository

    now = datetime.now(UTC)
    sessions = SessionRepository()
    rewritten = sum(sessions.reindex_starts(series.series_id, now) for series in SeriesRepository().active())
    print(f"sessions re-indexed: {rewritten}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
