"""What each server's community leaves in the database, beside the documents: the answers' replies (for
their buttons and a thread's follow-ups), votes, per-server settings and their changes, unanswered
questions (gaps) and when each notice was last posted. A mixin of Store: same file, same transactions."""

from __future__ import annotations

from .connection import utc_now
from .failures import translating


class CommunityRecords:
    """Mixed into Store (which provides db, _read, _writing and tables)."""

    @translating
    def remember_reply(self, message_id: str, scope: str, question: str, answer: str, passage_ids: list[str],
                       channel_id: str | None = None) -> None:
        """What an answer message showed, for its buttons (a re-sent id replaces the old record)."""
        with self._writing():
            self.db["replies"].insert({"message_id": message_id, "scope": scope, "question": question,
                                       "answer": answer, "passage_ids": " ".join(passage_ids),
                                       "created_at": utc_now(), "channel_id": channel_id}, replace=True)

    @translating
    def last_question_in(self, channel_id: str, scope: str) -> str | None:
        """The question last answered in a channel (a thread) of this server."""
        rows = list(self._read.query("select question from replies where channel_id = ? and scope = ? "
                                     "order by created_at desc, rowid desc limit 1", [channel_id, scope]))
        return rows[0]["question"] if rows else None

    @translating
    def reply(self, message_id: str) -> dict | None:
        """(question, scope, passage_ids) an answer message showed; None for one not recorded (sent by an
        earlier release, or while the database was read-only)."""
        if "replies" not in self.tables:
            return None  # a read-only database of an earlier release
        rows = list(self._read.query("select * from replies where message_id = ?", [message_id]))
        if not rows:
            return None
        row = rows[0]
        return {"question": row["question"], "scope": row["scope"], "answer": row["answer"] or "",
                "passage_ids": row["passage_ids"].split()}

    @translating
    def server_settings(self, scope: str) -> dict[str, str]:
        """A server's own settings (name -> stored text); {} when it has none, or the table is not there yet
        (a read-only database of an earlier release)."""
        if "server_settings" not in self.tables:
            return {}
        return {r["name"]: r["value"] for r in self._read.query(
            "select name, value from server_settings where scope = ?", [scope])}

    @translating
    def set_server_setting(self, scope: str, name: str, value: str | None, who: str) -> None:
        """Set (None: back to the default) one setting of one server, and record the change."""
        with self._writing():
            if value is None:
                self.db.conn.execute("delete from server_settings where scope = ? and name = ?", [scope, name])
            else:
                self.db["server_settings"].insert({"scope": scope, "name": name, "value": value}, replace=True)
            self.db["server_setting_changes"].insert({"scope": scope, "name": name, "value": value,
                                                      "changed_by": who, "changed_at": utc_now()})

    @translating
    def server_setting_changes(self, scope: str, limit: int = 10) -> list[dict]:
        if "server_setting_changes" not in self.tables:
            return []
        return list(self._read.query("select name, value, changed_by, changed_at from server_setting_changes "
                                     "where scope = ? order by id desc limit ?", [scope, limit]))

    @translating
    def record_unanswered(self, scope: str, question: str, terms: str, confidence: str) -> None:
        with self._writing():
            self.db["unanswered"].insert({"scope": scope, "question": question, "terms": terms,
                                          "confidence": confidence, "asked_at": utc_now()})

    @translating
    def unanswered(self, scope: str | None, limit: int = 5_000) -> list[dict]:
        """The newest unanswered questions of a server (None: every server), newest first."""
        if "unanswered" not in self.tables:
            return []
        where, params = ("where scope = ?", [scope]) if scope is not None else ("", [])
        return list(self._read.query(f"select scope, question, terms, confidence, asked_at from unanswered {where} "
                                     "order by id desc limit ?", [*params, limit]))

    @translating
    def add_feedback(self, scope: str, user_id: str, question: str, answer: str, passage_ids: list[str],
                     vote: int, message_id: str | None = None) -> bool:
        """Store a vote; one per user and answer message (a changed vote replaces it). False if it was
        already recorded as is."""
        with self._writing():
            if message_id is not None:
                old = self.db.conn.execute("select id, vote from feedback where scope = ? and message_id = ? "
                                           "and user_id = ?", [scope, message_id, user_id]).fetchone()
                if old and old[1] == vote:
                    return False
                if old:
                    self.db.conn.execute("update feedback set vote = ?, created_at = ? where id = ?",
                                         [vote, utc_now(), old[0]])
                    return True
            self.db["feedback"].insert({"scope": scope, "user_id": user_id, "question": question, "answer": answer,
                                        "passage_ids": " ".join(passage_ids), "vote": vote,
                                        "created_at": utc_now(), "message_id": message_id})
            return True

    @translating
    def feedback(self, scope: str | None = None, limit: int = 50) -> list[dict]:
        if scope is None:
            return list(self._read.query("select * from feedback order by id desc limit ?", [limit]))
        return list(self._read.query("select * from feedback where scope = ? order by id desc limit ?", [scope, limit]))

    @translating
    def last_notice(self, scope: str, kind: str) -> str | None:
        """When a server last got this kind of notice (e.g. the weekly gaps summary); None: never."""
        if "notices" not in self.tables:
            return None
        rows = list(self._read.query("select sent_at from notices where scope = ? and kind = ?", [scope, kind]))
        return rows[0]["sent_at"] if rows else None

    @translating
    def record_notice(self, scope: str, kind: str, sent_at: str | None = None) -> None:
        with self._writing():
            self.db["notices"].insert({"scope": scope, "kind": kind, "sent_at": sent_at or utc_now()}, replace=True)
