"""The buttons under an answer, and the pages they open: More sources (Previous / Next), Show context
(previous / next passage, and the pages of a long one), feedback votes, and Follow up in a thread.

A click is routed by the button's custom_id; what it acts on is kept in the database by message id
(retrieval/community.py), so buttons keep working after a restart.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from retrieval.community import (VOTE_DOWN, VOTE_UP, Shown, neighbours, record_feedback, remember_reply,
                                 shown_in, sources_page)
from retrieval.models import Answer

from . import embeds
from .common import NO_PINGS, embed, log, on_app_command_error, run_or_defer, scope, send, tell, where

if TYPE_CHECKING:
    from bot import CorpusBot

SEARCH_RESULTS = 5


def answer_embed(answer: Answer) -> discord.Embed:
    return embed(embeds.to_embed(answer))


def answer_buttons(bot: "CorpusBot") -> "AnswerView":
    """The buttons to attach to a reply. Stopped, so discord.py does not keep one view per message
    forever: clicks are routed by custom_id to the persistent view registered at startup."""
    view = AnswerView(bot)
    view.stop()
    return view


class SourcesPage(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:sources:(?P<mid>\d+):(?P<offset>\d+)"):
    """Previous / Next under "More sources": the page's state (the answer message, the offset) is in the
    button's id, the answer's question and citations in the database, so any click pages, even after a
    restart."""

    def __init__(self, message_id: int, offset: int, label: str, disabled: bool = False) -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, disabled=disabled,
                                           custom_id=f"qa:sources:{message_id}:{offset}"))
        self.message_id, self.offset = message_id, offset

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "SourcesPage":
        return cls(int(match["mid"]), int(match["offset"]), item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        corpus, here = interaction.client.corpus, scope(interaction)
        shown = await asyncio.to_thread(shown_in, corpus, self.message_id, here)
        if shown is None:
            await tell(interaction, "These sources are no longer available; ask again.")
            return
        hits, more = await asyncio.to_thread(sources_page, corpus, shown.question, here, set(shown.passage_ids),
                                             self.offset, SEARCH_RESULTS)
        data = embeds.hits_embed(f"More sources: {shown.question}", hits, "No other passage matches.",
                                 start=len(shown.passage_ids) + self.offset + 1)
        await interaction.response.edit_message(embed=embed(data), view=pager_view(self.message_id, self.offset, more))


class ContextPage(discord.ui.DynamicItem[discord.ui.Button], template=r"qa:ctx(?P<page>\d*):(?P<pid>.+)"):
    """Previous / Next under "Show context": the pages of a long passage, and the passages before and after
    it in its document (the passage id and the page are the button's state)."""

    def __init__(self, passage_id: str | None, label: str, page: int = 0) -> None:
        custom_id = f"qa:ctx{page or ''}:{passage_id}" if passage_id is not None else f"qa:ctx:{label}"
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.secondary,
                                           disabled=passage_id is None, custom_id=custom_id))
        self.passage_id, self.page = passage_id, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button, match) -> "ContextPage":
        return cls(match["pid"], item.label or "", int(match["page"] or 0))

    async def callback(self, interaction: discord.Interaction) -> None:
        if self.passage_id is None:
            return
        page = await asyncio.to_thread(context_page, interaction.client.corpus, self.passage_id,
                                       scope(interaction), self.page)
        view = context_view(self.passage_id, page)
        await interaction.response.edit_message(embed=embed(page.embed), **({"view": view} if view else {}))


CUSTOM_ID_MAX = 100  # Discord's limit on a button's id


@dataclass(frozen=True)
class ContextShown:
    embed: dict
    before: str | None  # the passages before and after, for the buttons
    after: str | None
    page: int  # which page of the passage, of how many
    pages: int


def context_page(corpus, passage_id: str, here: str, page: int = 0) -> ContextShown:
    """A passage (one page of it, when long) in its document's text, and its neighbours (in a worker thread)."""
    ctx = corpus.context(passage_id, here)
    data, pages = embeds.context_embed(ctx.passage.text, ctx.before, ctx.after, ctx.document.title,
                                       ctx.document.source, ctx.passage.id, page)
    return ContextShown(data, *neighbours(corpus, passage_id, here), min(page, pages - 1), pages)


def context_view(passage_id: str, shown: ContextShown) -> discord.ui.View | None:
    """Buttons to the passage's other pages and to the passages before and after (made on the event loop:
    a View needs it)."""
    if len(f"qa:ctx{shown.pages}:{passage_id}") > CUSTOM_ID_MAX:
        return None  # an id too long for a button: the passage alone
    view = discord.ui.View(timeout=None)
    if shown.pages > 1:
        view.add_item(ContextPage(passage_id if shown.page > 0 else None, "Previous page", shown.page - 1))
        view.add_item(ContextPage(passage_id if shown.page < shown.pages - 1 else None, "Next page", shown.page + 1))
    view.add_item(ContextPage(shown.before, "Previous passage"))
    view.add_item(ContextPage(shown.after, "Next passage"))
    view.stop()
    return view


def pager_view(message_id: int, offset: int, more: bool) -> discord.ui.View:
    """Previous / Next for a page of sources (stopped: clicks are routed by the buttons' id template)."""
    view = discord.ui.View(timeout=None)
    view.add_item(SourcesPage(message_id, max(0, offset - SEARCH_RESULTS), "Previous", disabled=offset == 0))
    view.add_item(SourcesPage(message_id, offset + SEARCH_RESULTS, "Next", disabled=not more))
    view.stop()
    return view


class AnswerView(discord.ui.View):
    """The buttons under every answer; stateless (all they need is in the answer's embed), so persistent."""

    def __init__(self, bot: "CorpusBot") -> None:
        super().__init__(timeout=None)
        self.bot = bot

    async def _shown(self, interaction: discord.Interaction) -> Shown:
        """What the clicked answer showed: as recorded by message id when it was sent; for a reply sent by
        an earlier release (or while the database was read-only), read from the message itself."""
        message, here = interaction.message, scope(interaction)
        if message is not None:
            recorded = await asyncio.to_thread(shown_in, self.bot.corpus, message.id, here)
            if recorded is not None:
                return recorded
        shown = message.embeds[0].to_dict() if message is not None and message.embeds else {}
        answer = (shown.get("description") or "").split("\n", 1)[0].strip("*")
        return Shown(embeds.question_of(shown), here, tuple(embeds.passage_ids_of(shown)), answer, recorded=False)

    @discord.ui.button(label="More sources", style=discord.ButtonStyle.secondary, custom_id="qa:more")
    async def more(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        shown = await self._shown(interaction)
        hits, more = await run_or_defer(interaction, sources_page, self.bot.corpus, shown.question,
                                        scope(interaction), set(shown.passage_ids), 0, SEARCH_RESULTS, ephemeral=True)
        data = embeds.hits_embed(f"More sources: {shown.question}", hits, "No other passage matches.",
                                 start=len(shown.passage_ids) + 1)
        pager = pager_view(interaction.message.id, 0, more) if shown.recorded and more else None
        await send(interaction, embed=embed(data), ephemeral=True, **({"view": pager} if pager else {}))

    @discord.ui.button(label="Show context", style=discord.ButtonStyle.secondary, custom_id="qa:context")
    async def context(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        ids = (await self._shown(interaction)).passage_ids
        if not ids:
            await tell(interaction, "This reply cites no passage.")
            return
        page = await run_or_defer(interaction, context_page, self.bot.corpus, ids[0], scope(interaction),
                                  ephemeral=True)
        view = context_view(ids[0], page)
        await send(interaction, embed=embed(page.embed), ephemeral=True, **({"view": view} if view else {}))

    @discord.ui.button(emoji="\N{THUMBS UP SIGN}", style=discord.ButtonStyle.secondary, custom_id="qa:up")
    async def vote_up(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._vote(interaction, VOTE_UP)

    @discord.ui.button(emoji="\N{THUMBS DOWN SIGN}", style=discord.ButtonStyle.secondary, custom_id="qa:down")
    async def vote_down(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._vote(interaction, VOTE_DOWN)

    @discord.ui.button(label="Follow up in a thread", style=discord.ButtonStyle.secondary, custom_id="qa:thread")
    async def follow_up(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        """A thread from the answer, where follow-ups are read with its question (as after a mention)."""
        message = interaction.message
        if interaction.guild_id is None or message is None or isinstance(interaction.channel, discord.Thread):
            await tell(interaction, "Follow-up threads start from answers in a server's channels.")
            return
        if message.thread is not None or interaction.guild is not None and interaction.guild.get_thread(message.id):
            await tell(interaction, f"This answer already has a thread: <#{message.id}>.")
            return
        shown = await self._shown(interaction)
        try:
            thread = await message.create_thread(name=embeds.thread_name(shown.question), auto_archive_duration=1440)
        except discord.HTTPException as exc:
            log.warning("no follow-up thread %s: %s", where(interaction), exc)
            await tell(interaction, "I cannot start a thread here (the channel does not allow it, or I lack the "
                                    "permission to create threads).")
            return
        intro = await thread.send(embeds.message_text(f"Ask follow-ups here: mention me, e.g. "
                                                      f"`@{self.bot.user.name} and when did it end?`"),
                                  allowed_mentions=NO_PINGS)
        await asyncio.to_thread(remember_reply, self.bot.corpus, intro.id, shown, thread.id)
        await tell(interaction, f"Thread started: <#{thread.id}>.")

    async def _vote(self, interaction: discord.Interaction, vote: int) -> None:
        shown = await self._shown(interaction)
        message_id = interaction.message.id if interaction.message else None
        new = await asyncio.to_thread(record_feedback, self.bot.corpus, scope(interaction), interaction.user.id,
                                      shown.question, shown.answer, list(shown.passage_ids), vote, message_id)
        if not new:
            await tell(interaction, "You already voted this way on this answer; thanks.")
            return
        log.info("feedback %+d %s", vote, where(interaction))
        await tell(interaction, "Thanks, noted" + (" — moderators will see that this answer missed."
                                                   if vote == VOTE_DOWN else "."))

    async def on_error(self, interaction: discord.Interaction, error: Exception, _item: discord.ui.Item) -> None:
        await on_app_command_error(interaction, error)
