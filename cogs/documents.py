"""/corpus list|stats for everyone; add|remove|refresh|feedback|gaps for moderators.

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
from retrieval.community import add_upload, check_upload, own_documents, recent_feedback, remove_own

from .common import NO_PINGS, defer, embed, log, moderator_only, run_or_defer, scope, send, where
from . import embeds

if TYPE_CHECKING:
    from bot import CorpusBot

PROGRESS_EVERY_SECONDS = 2.0


@app_commands.guild_only()

class NotOperator(app_commands.CheckFailure):
    """An operator command (the bundled corpus is the whole bot's) from a server's moderator."""


def operator_only():
    """The bundled corpus serves every server: only the bot's application owner, or a moderator of a server
    the operator lists (RETRIEVAL_OPERATOR_GUILDS), may change it."""

    async def predicate(interaction: discord.Interaction) -> bool:
        settings = interaction.client.corpus.settings
        if interaction.guild_id in settings.operator_guilds or await interaction.client.is_owner(interaction.user):
            return True
        raise NotOperator("Only the bot's operator can change the bundled corpus; your server's own documents "
                          "are managed with /corpus add and /corpus remove.")

    return app_commands.check(predicate)

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
    @app_commands.command(name="add", description="Moderators: add a document (.txt .md .html .pdf) for this server")
    @app_commands.describe(file="The document to add", title="Its title (default: its first heading or line)")
    @moderator_only()
    async def add(self, interaction: discord.Interaction, file: discord.Attachment, title: str | None = None) -> None:
        check_upload(file.filename, file.size, self.corpus.settings)  # before downloading anything
        self.corpus.check_not_busy(scope(interaction))
        await asyncio.to_thread(self.corpus.check_quota, scope(interaction))  # a full server: refused before the download
        await defer(interaction, ephemeral=True)
        await interaction.edit_original_response(content=f"Downloading {file.filename}…")
        data = await file.read()
        await interaction.edit_original_response(content=f"Reading and indexing {file.filename}…")
        source = f"{file.filename} (added by {interaction.user} on Discord)"
        report = await self._with_progress(interaction, f"Indexing {file.filename}", add_upload, self.corpus, data,
                                           file.filename, scope(interaction), title, source)
        log.info("added %s %s: %s", file.filename, where(interaction), report.summary())
        if report.unchanged:
            text = f"{file.filename} is already in the corpus, unchanged."
        else:
            doc_id = (report.added or report.changed)[0]
            doc = await asyncio.to_thread(self.corpus.document, doc_id)
            verb = "Added" if report.added else "Updated"
            text = f"{verb} **{embeds.short_title(doc.title)}** (`{doc.id}`): {report.passages} passages, searchable now."
        await interaction.edit_original_response(content=embeds.defuse_mentions(text), allowed_mentions=NO_PINGS)

    @app_commands.command(name="remove", description="Moderators: remove a document added in this server")
    @app_commands.describe(document="The document's title or id")
    @moderator_only()
    async def remove(self, interaction: discord.Interaction, document: str) -> None:
        await defer(interaction, ephemeral=True)
        doc = await asyncio.to_thread(remove_own, self.corpus, document, scope(interaction))
        log.info("removed %s %s", doc.id, where(interaction))
        await interaction.edit_original_response(
            content=embeds.defuse_mentions(f"Removed **{embeds.short_title(doc.title)}** (`{doc.id}`); it is no longer cited."),
            allowed_mentions=NO_PINGS)

    @remove.autocomplete("document")
    async def remove_autocomplete(self, interaction: discord.Interaction, typed: str) -> list[app_commands.Choice[str]]:
        docs = await asyncio.to_thread(own_documents, self.corpus, scope(interaction), typed)
        return [app_commands.Choice(name=render.clean_text(d.title or d.id)[:100], value=d.id[:100]) for d in docs]

    @app_commands.command(name="refresh", description="Operator: re-sync the bundled corpus/ folder")
    @moderator_only()
    @operator_only()
    async def refresh(self, interaction: discord.Interaction) -> None:
        self.corpus.check_not_busy()
        await defer(interaction, ephemeral=True)
        result = await self._with_progress(interaction, "Refreshing the bundled corpus", self.corpus.refresh)
        log.info("refresh %s: %s", where(interaction), result.report.summary())
        text = f"Refresh done: {result.report.summary()}."
        if result.failed:
            text += "\nKept the old version of files that could not be read:\n" + "\n".join(
                f"- {line}" for line in result.failed[:10])
        await interaction.edit_original_response(content=embeds.defuse_mentions(text)[:1900],
                                                 allowed_mentions=NO_PINGS)

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

    async def _with_progress(self, interaction: discord.Interaction, label: str, func, *args):
        """Run a change off the event loop, editing the reply every few seconds until it ends."""
        task = asyncio.ensure_future(asyncio.to_thread(func, *args))
        started = time.monotonic()
        while True:
            done, _ = await asyncio.wait({task}, timeout=PROGRESS_EVERY_SECONDS)
            if done:
                return task.result()
            try:
                await interaction.edit_original_response(
                    content=f"{label}… {time.monotonic() - started:.0f} s (questions are still answered meanwhile)")
            except discord.HTTPException:
                pass


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(DocumentsCog(bot))
