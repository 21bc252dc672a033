"""Every HTTP request the bot makes, recorded: the records, finding them, and waiting for them (or a gateway payload)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TypeVar, Union

from .payloads import Json


class StandinTimeout(AssertionError):
    """An awaited request/event did not arrive in time (an AssertionError, so pytest reports a failure)."""


@dataclass
class RecordedFile:
    """One uploaded file part of a multipart request (``files[n]``)."""

    field_name: str
    filename: Optional[str]
    content_type: Optional[str]
    data: bytes


@dataclass
class RecordedRequest:
    """One HTTP request the bot made.  ``json`` is the JSON body, or the ``payload_json`` part of a multipart body."""

    method: str
    path: str  # without the /api/v10 prefix for API routes, e.g. "/channels/1/messages"
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    files: list[RecordedFile]
    body: bytes
    response_status: int = 0
    response_json: Any = None
    index: int = 0
    at: float = field(default_factory=time.monotonic)

    @property
    def message(self) -> Json:
        """The message-ish part: ``data`` of an interaction callback, the body otherwise (``{}`` if none)."""
        body = self.json if isinstance(self.json, dict) else {}
        if self.path.endswith("/callback"):
            return body.get("data") or {}
        return body

    @property
    def content(self) -> Optional[str]:
        """Shortcut for ``message.get("content")``."""
        return self.message.get("content")

    def is_callback_for(self, interaction: Union[Json, int, str]) -> bool:
        """True for ``POST /interactions/{id}/{token}/callback`` of that interaction (payload or id)."""
        iid = str(interaction["id"] if isinstance(interaction, dict) else interaction)
        return self.method == "POST" and bool(re.fullmatch(rf"/interactions/{iid}/[^/]+/callback", self.path))

    def is_webhook_for(self, interaction: Json, method: Optional[str] = None) -> bool:
        """True for any request on the interaction's follow-up webhook (optionally of one method)."""
        prefix = f"/webhooks/{interaction['application_id']}/{interaction['token']}"
        return (self.path == prefix or self.path.startswith(prefix + "/")) and (method is None or self.method == method)

    def __repr__(self) -> str:  # compact for failure messages
        body = json.dumps(self.json)[:200] if self.json is not None else ""
        return f"<{self.method} {self.path} -> {self.response_status} {body}>"


Predicate = Callable[[RecordedRequest], bool]
T = TypeVar("T")


def parse_multipart(content_type: str, body: bytes) -> tuple[Any, list[RecordedFile]]:
    """Split a multipart/form-data body into its ``payload_json`` (parsed) and file parts."""
    mt = re.search(r'boundary="?([^";]+)"?', content_type)
    if not mt:
        return None, []
    payload: Any = None
    files: list[RecordedFile] = []
    for chunk in body.split(b"--" + mt[1].encode())[1:]:
        if chunk.startswith(b"--"):
            break  # closing delimiter
        head, _, data = chunk.partition(b"\r\n\r\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            if ":" in line:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition", "")
        name = re.search(r'(?<![a-z*])name="([^"]*)"', disp)
        filename = re.search(r'filename="([^"]*)"', disp)
        field_name = name[1] if name else ""
        if field_name == "payload_json":
            payload = json.loads(data)
        else:
            fname = filename[1] if filename else None
            files.append(RecordedFile(field_name, fname, headers.get("content-type"), data))
    return payload, files


class RequestRecorder:
    """The recording part of :class:`DiscordStandin`: requests (and gateway payloads) in order, and waits on them."""

    requests: list[RecordedRequest]
    gateway_received: list[Json]
    _cond: Optional[asyncio.Condition]

    def mark(self) -> int:
        """Current number of recorded requests; pass as ``after=`` to only wait for newer ones."""
        return len(self.requests)

    def find_requests(
        self, method: Optional[str] = None, path_regex: str = ".*", *, after: int = 0
    ) -> list[RecordedRequest]:
        """Recorded requests matching an HTTP method and a full-match regex on the path (no /api/v10)."""
        return [
            r
            for r in self.requests[after:]
            if (method is None or r.method == method) and re.fullmatch(path_regex, r.path)
        ]

    async def wait_for_request(self, predicate: Predicate, timeout: float = 5.0, *, after: int = 0) -> RecordedRequest:
        """The first recorded request (index >= ``after``) matching ``predicate``, waiting up to ``timeout``."""
        return await self._wait_until_found(
            lambda: next((r for r in self.requests[after:] if predicate(r)), None),
            timeout,
            lambda: f"no matching request within {timeout}s; recorded: {self.requests[after:]!r}",
        )

    async def wait_for_gateway(
        self, predicate: Callable[[Json], bool], timeout: float = 5.0, *, after: int = 0
    ) -> Json:
        """The first payload the bot sent on the gateway (index >= ``after``) matching ``predicate``."""
        return await self._wait_until_found(
            lambda: next((p for p in self.gateway_received[after:] if predicate(p)), None),
            timeout,
            lambda: f"no matching gateway payload within {timeout}s; ops seen: "
            f"{[p.get('op') for p in self.gateway_received[after:]]}",
        )

    async def _wait_until_found(self, find: Callable[[], Optional[T]], timeout: float, failure: Callable[[], str]) -> T:
        """``find()`` once it is not None, re-checked whenever a request or gateway payload is recorded."""
        assert self._cond is not None, "stand-in not started"
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(lambda: find() is not None), timeout)
            except asyncio.TimeoutError:
                raise StandinTimeout(failure()) from None
        found = find()
        assert found is not None
        return found

    async def wait_for_callback(self, interaction: Json, timeout: float = 5.0) -> RecordedRequest:
        """The interaction's ``POST .../callback`` request."""
        return await self.wait_for_request(lambda r: r.is_callback_for(interaction), timeout)

    async def wait_for_webhook(
        self, interaction: Json, method: Optional[str] = "POST", timeout: float = 5.0, *, after: int = 0
    ) -> RecordedRequest:
        """A request on the interaction's follow-up webhook (POST = follow-up, PATCH = edit original...)."""
        return await self.wait_for_request(lambda r: r.is_webhook_for(interaction, method), timeout, after=after)

    async def wait_for_channel_message(
        self, channel_id: Optional[int] = None, timeout: float = 5.0, *, after: int = 0
    ) -> RecordedRequest:
        """A ``POST /channels/{id}/messages`` (any channel if ``channel_id`` is None)."""
        cid = r"\d+" if channel_id is None else str(channel_id)
        return await self.wait_for_request(
            lambda r: r.method == "POST" and re.fullmatch(rf"/channels/{cid}/messages", r.path) is not None,
            timeout,
            after=after,
        )

    async def _record(self, rec: RecordedRequest) -> None:
        assert self._cond is not None
        async with self._cond:
            rec.index = len(self.requests)
            self.requests.append(rec)
            self._cond.notify_all()
