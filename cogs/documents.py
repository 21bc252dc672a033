"""/corpus list|stats|sources for everyone; add (a file or a web address)|remove|refresh|feedback|gaps for
moderators.

Discord applies default member permissions to a top-level command only, never to one subcommand, so
the moderator subcommands cannot be hidden inside /corpus: the run-time check is the guard, and server
admins can narrow who sees /corpus in Server Settings > Integrations.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval import render
from retrieval import jobs
from retrieval.community import check_upload, own_documents, recent_feedback, remove_own
from retrieval.errors import BadDocument, NotAllowed
from retrieval.web import sources as web_sources

from .common import NO_PINGS, defer, embed, log, moderator_only, run_or_defer, scope, send, where
from . import embeds

if TYPE_CHECKING:
    from bot import CorpusBot

PROGRESS_EVERY_SECONDS = 2.0


async def require_operator(interaction: discord.Interaction) -> None:
    """The bundled corpus serves every server: only the bot's application owner, or a moderator of a server
    the operator lists (RETRIEVAL_OPERATOR_GUILDS), may change it."""
    settings = interaction.client.corpus.settings
    if interaction.guild_id in settings.operator_guilds or await interaction.client.is_owner(interaction.user):
        return
    raise NotAllowed("Only the bot's operator can change the bundled corpus; your server's own documents "
                      "are managed with /corpus add and /corpus remove.")


class Status:
    """The latest progress of a crawl (written by its worker thread), shown by the reply's progress edits."""

    def __init__(self, label: str) -> None:
        self.label, self.text = label, ""

    def update(self, done: int, total: int, url: str) -> None:
        self.text = f"{self.label}: {done} of {total} pages read so far" + (f" (now {url[:120]})" if url else "")


class DocumentsCog(commands.GroupCog, group_name="corpus", group_description="The documents the bot answers from"):
    def __init__(self, bot: "CorpusBot") -> None:
        self.bot = bot
        super().__init__()

    @property
    def corpus(self):
        return self.bot.corpus

    # -- everyone ---------------------------------------------------------------------------------
    @app_commands.command(name="list", description="The documents this server's questions are answered from")
    async def list_(self, interaction: discord.Interaction) -> None:
        docs = await run_or_defer(interaction, self.corpus.documents, scope(interaction), ephemeral=True)
        data = embeds.documents_embed(f"{len(docs)} documents", docs, scope(interaction))
        await send(interaction, embed=embed(data), ephemeral=True)

    @app_commands.command(name="stats", description="How big the corpus is")
    async def stats(self, interaction: discord.Interaction) -> None:
        here = scope(interaction)
        docs = await run_or_defer(interaction, self.corpus.documents, here, ephemeral=True)
        own = sum(1 for d in docs if d.scope == here)
        settings = self.corpus.settings
        text = (f"**{len(docs)}** documents answer questions here: {len(docs) - own} bundled, {own} added in "
                f"this server.\nBM25 k1={settings.k1}, b={settings.b}; up to {settings.top_k} cited passages."
                + ("\nA change to the corpus is running right now." if self.corpus.busy else ""))
        await send(interaction, embed=embed(embeds.hits_embed("Corpus", [], text)), ephemeral=True)

    # -- moderators -------------------------------------------------------------------------------
    @app_commands.command(name="add", description="Moderators: add a document (.txt .md .html .pdf) or a web page")
    @app_commands.describe(file="The document to add", title="Its title (default: its first heading or line)",
                           url="A web page (http or https) to add and keep in sync",
                           site="With url: also the pages under it (its sitemap, or its links)",
                           max_pages="With site: at most this many pages")
    @moderator_only()
    async def add(self, interaction: discord.Interaction, file: discord.Attachment | None = None,
                  title: str | None = None, url: str | None = None, site: bool = False,
                  max_pages: app_commands.Range[int, 1, 10_000] | None = None) -> None:
        if (file is None) == (url is None):
            raise BadDocument("Give either a file or a url (not both).")
        if url is not None:
            return await self._add_url(interaction, url, site, max_pages)
        check_upload(file.filename, file.size, self.corpus.settings)  # before downloading anything
        self.corpus.check_not_busy(scope(interaction))
        await asyncio.to_thread(self.corpus.check_quota, scope(interaction))  # a full server: refused before the download
        await defer(interaction, ephemeral=True)
        await interaction.edit_original_response(content=f"Downloading {file.filename}…")
        data = await file.read()
        await interaction.edit_original_response(content=f"Reading and indexing {file.filename}…")
        source = f"{file.filename} (added by {interaction.user} on Discord)"
        result = await self._with_progress(interaction, f"Indexing {file.filename}", jobs.run, self.corpus, "upload",
                                           scope(interaction), {"name": file.filename, "title": title or None,
                                                                "source": source}, data)
        report = jobs.ingest_report(result)
        log.info("added %s %s: %s", file.filename, where(interaction), report.summary())
        if report.unchanged:
            text = f"{file.filename} is already in the corpus, unchanged."
        else:
            doc_id = (report.added or report.changed)[0]
            doc = await asyncio.to_thread(self.corpus.document, doc_id)
            verb = "Added" if report.added else "Updated"
            text = f"{verb} **{embeds.short_title(doc.title)}** (`{doc.id}`): {report.passages} passages, searchable now."
        await interaction.edit_original_response(content=embeds.defuse_mentions(text), allowed_mentions=NO_PINGS)

    async def _add_url(self, interaction: discord.Interaction, url: str, site: bool, max_pages: int | None) -> None:
        """A web page or section: fetched and read in a worker thread, with the pages read so far shown."""
        here = scope(interaction)
        self.corpus.check_not_busy(here)
        await defer(interaction, ephemeral=True)
        status = Status("Fetching")
        params = {"url": url, "site": site, "max_pages": max_pages,
                  "added_by": f"{interaction.user} ({interaction.user.id})"}
        result = await self._with_progress(interaction, "Fetching", jobs.run, self.corpus, "web_add", here, params,
                                           None, status.update, status=status)
        log.info("web source %s %s: %s", result["url"], where(interaction), result["summary"])
        text = embeds.web_report(result["text"], 1800)
        if result["changed"]:
            text += "\nSearchable now; `/corpus refresh` re-syncs it, and so does the server's schedule."
        await interaction.edit_original_response(content=text, allowed_mentions=NO_PINGS)

    @app_commands.command(name="remove", description="Moderators: remove a document or a web source added here")
    @app_commands.describe(document="The document's title or id, or a web source (#number or its address)")
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, document: str) -> None:
        await defer(interaction, ephemeral=True)
        if web_sources.names_source(document):
            source, removed = await asyncio.to_thread(web_sources.remove_source, self.corpus, scope(interaction),
                                                      document)
            log.info("removed web source %s %s", source.url, where(interaction))
            await interaction.edit_original_response(
                content=embeds.web_report(f"Removed the web source #{source.id} ({source.url}) and its "
                                          f"{removed} pages; they are no longer cited."), allowed_mentions=NO_PINGS)
            return
        doc = await asyncio.to_thread(remove_own, self.corpus, document, scope(interaction))
        log.info("removed %s %s", doc.id, where(interaction))
        await interaction.edit_original_response(
            content=embeds.defuse_mentions(f"Removed **{embeds.short_title(doc.title)}** (`{doc.id}`); it is no longer cited."),
            allowed_mentions=NO_PINGS)

    @remove.autocomplete("document")
    async def remove_autocomplete(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        here = scope(interaction)
        found = await asyncio.to_thread(self.corpus.store.web_sources, here)
        sources = [app_commands.Choice(name=render.clean_text(f"web source #{s.id}: {s.url}")[:100], value=f"#{s.id}")
                   for s in found if typed.strip().casefold() in f"#{s.id} {s.url}".casefold()]
        docs = await asyncio.to_thread(own_documents, self.corpus, here, typed)
        return (sources + [app_commands.Choice(name=render.clean_text(d.title or d.id)[:100], value=d.id[:100])
                           for d in docs])[:25]

    @app_commands.command(name="refresh", description="Moderators: re-sync this server's web sources now")
    @app_commands.describe(bundled="Operator: re-sync the bundled corpus/ folder instead")
    @moderator_only()
    async def refresh(self, interaction: discord.Interaction, bundled: bool = False) -> None:
        if bundled:
            return await self._refresh_bundled(interaction)
        here = scope(interaction)
        self.corpus.check_not_busy(here)
        await defer(interaction, ephemeral=True)
        status = Status("Re-syncing")
        result = await self._with_progress(interaction, "Re-syncing", jobs.run, self.corpus, "web_refresh", here, {},
                                           None, status.update, status=status)
        log.info("web refresh %s: %d sources", where(interaction), result["sources"])
        await interaction.edit_original_response(content=embeds.web_report(result["text"]), allowed_mentions=NO_PINGS)

    async def _refresh_bundled(self, interaction: discord.Interaction) -> None:
        await require_operator(interaction)
        self.corpus.check_not_busy()
        await defer(interaction, ephemeral=True)
        result = await self._with_progress(interaction, "Refreshing the bundled corpus", jobs.run, self.corpus,
                                           "bundled_refresh", "", {})
        report = jobs.ingest_report(result)
        log.info("refresh %s: %s", where(interaction), report.summary())
        text = f"Refresh done: {report.summary()}."
        if result["failed"]:
            text += "\nKept the old version of files that could not be read:\n" + "\n".join(
                f"- {line}" for line in result["failed"][:10])
        await interaction.edit_original_response(content=embeds.defuse_mentions(text)[:1900],
                                                 allowed_mentions=NO_PINGS)

    @app_commands.command(name="sources", description="The web sources this server's documents come from")
    async def sources(self, interaction: discord.Interaction) -> None:
        found = await run_or_defer(interaction, self.corpus.store.web_sources, scope(interaction), ephemeral=True)
        await send(interaction, embed=embed(embeds.sources_embed(found)), ephemeral=True)

    @app_commands.command(name="feedback", description="Moderators: recent 👍/👎 on answers in this server")
    @moderator_only()
    async def feedback(self, interaction: discord.Interaction) -> None:
        rows = await run_or_defer(interaction, recent_feedback, self.corpus, scope(interaction), ephemeral=True)
        await send(interaction, embed=embed(embeds.feedback_embed(rows)), ephemeral=True)

    @app_commands.command(name="gaps", description="Moderators: questions this server's documents did not answer")
    @moderator_only()
    async def gaps(self, interaction: discord.Interaction) -> None:
        found = await run_or_defer(interaction, self.corpus.gaps, scope(interaction), ephemeral=True)
        await send(interaction, embed=embed(embeds.gaps_embed(found)), ephemeral=True)

    async def _with_progress(self, interaction: discord.Interaction, label: str, func, *args,
                             status: Status | None = None):
        """Run a change off the event loop (here, or queued for a worker: retrieval/jobs.py), editing the reply
        every few seconds until it ends."""
        task = asyncio.ensure_future(asyncio.to_thread(func, *args))
        started = time.monotonic()
        while True:
            done, _ = await asyncio.wait({task}, timeout=PROGRESS_EVERY_SECONDS)
            if done:
                return task.result()
            try:
                shown = status.text if status is not None and status.text else label
                await interaction.edit_original_response(
                    content=embeds.defuse_mentions(f"{shown}… {time.monotonic() - started:.0f} s (questions are still "
                                                   "answered meanwhile)"), allowed_mentions=NO_PINGS)
            except discord.HTTPException:
                pass


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(DocumentsCog(bot))
