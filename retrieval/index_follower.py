"""Several processes over one PostgreSQL store (issue 14): each keeps its own index, and this thread keeps it
in step with what the others commit. A change is announced on commit (NOTIFY); the thread LISTENs and applies
the logged delta (IndexKeeper.follow) at once, and looks every second anyway, so a missed notice (a dropped
connection) costs at most that second."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0


class ChangeFollower:
    def __init__(self, url: str, keeper, channel: str) -> None:
        self.url, self.keeper, self.channel = url, keeper, channel
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-follower", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                with psycopg.connect(self.url, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"listen {self.channel}")
                    while not self._stop.is_set():
                        self._catch_up()
                        for _ in conn.notifies(timeout=POLL_SECONDS, stop_after=1):
                            pass
            except Exception:  # noqa: BLE001 - the server went away: keep serving, try again shortly
                log.warning("following the shared store's changes failed; retrying", exc_info=True)
                self._stop.wait(POLL_SECONDS)

    def _catch_up(self) -> None:
        try:
            if self.keeper.follow():
                log.info("index follows the shared store: generation %s", self.keeper.retriever.header.get("generation"))
        except Exception:  # noqa: BLE001 - a failed catch-up is retried at the next notice or second
            log.warning("applying another process's change failed", exc_info=True)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(POLL_SECONDS * 3)
