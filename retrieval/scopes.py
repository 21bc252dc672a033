"""Who sees what. Every passage belongs to one scope: GLOBAL_SCOPE for the bundled corpus, a Discord
server's id for its own uploads. A question asked in a server sees the bundled corpus and that server's
documents; a direct message the bundled corpus; the console (scope None) everything."""

from __future__ import annotations

GLOBAL_SCOPE = ""


def scope_of(server_id: int | str | None) -> str:
    """A server's documents live in a scope named after its id; direct messages see the bundled corpus only."""
    return GLOBAL_SCOPE if server_id in (None, "", 0) else str(server_id)


def scopes_for(scope: str | None) -> list[str] | None:
    """The scopes a question asked in `scope` sees (None: every scope, for the console)."""
    return None if scope is None else [GLOBAL_SCOPE, scope] if scope else [GLOBAL_SCOPE]
