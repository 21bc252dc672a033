"""Notices to a server's moderators' channel (/config set notices_channel): the periodic summary of what
the documents did not answer. When each was last posted is kept per server, so a restart neither repeats
one nor skips one; a server's first period starts when the bot first looks (no summary of the past).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from . import gaps
from .store import Store

GAPS_SUMMARY = "gaps_summary"


@dataclass(frozen=True)
class Summary:
    since: str  # the period it covers: since this time (ISO, UTC)
    gaps: list[gaps.Gap]


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def gaps_summary_due(store: Store, scope: str, every: timedelta, now: datetime | None = None) -> Summary | None:
    """The summary to post now, if a period has passed since the last one; None otherwise (and on a
    server's first look, which only starts its period). A period without gaps is marked and not posted."""
    now = now or datetime.now(timezone.utc)
    last = store.last_notice(scope, GAPS_SUMMARY)
    if last is None:
        store.record_notice(scope, GAPS_SUMMARY, now.isoformat(timespec="seconds"))
        return None
    if now - _parse(last) < every:
        return None
    recent = [g for g in gaps.gaps(store, scope, limit=50) if _parse(g.last_asked) >= _parse(last)][:15]
    if not recent:
        store.record_notice(scope, GAPS_SUMMARY, now.isoformat(timespec="seconds"))
    return Summary(last, recent) if recent else None


def mark_posted(store: Store, scope: str, now: datetime | None = None) -> None:
    """The summary was posted: the next period starts now."""
    store.record_notice(scope, GAPS_SUMMARY, (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"))
