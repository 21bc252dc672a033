"""Questions: /ask, /search, mentions and DMs, and the "Ask the corpus" context menu (the buttons under an
answer are cogs/answer_views.py)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from retrieval.answer_cache import AnswerCache
from retrieval.errors import RetrievalError
from retrieval.answer.question import parse_question
from retrieval.community import keep_answer, scope_of

from . import embeds
from .answer_views import SEARCH_RESULTS, AnswerView, ContextPage, SourcesPage, answer_buttons, answer_embed
from .common import NO_PINGS, embed, log, run_or_defer, scope, send, settings_of, tell, user_message, where

if TYPE_CHECKING:
    from bot import CorpusBot


class AskCog(commands.Cog):
    def __init__(self, bot: "CorpusBot") -> None:
        self.bot = bot
        self.answers = AnswerCache()
        # A context menu cannot be a cog method: built here, added to the tree, removed on unload.
        self.ask_menu = app_commands.ContextMenu(name="Ask the corpus", callback=self.ask_about_message)
        bot.tree.add_command(self.ask_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.ask_menu.name, type=self.ask_menu.type)

    @property
    def corpus(self):
        return self.bot.corpus

    async def _refuse_cooldown(self, guild_id: int | None, user_id: int) -> str | None:
        here = scope_of(guild_id)
        settings = await settings_of(self.bot, here)
        retry = self.bot.cooldowns.retry_after(here, user_id, settings.cooldown_questions, settings.cooldown_seconds)
        return None if retry is None else f"Slow down a little: you can ask again in {retry:.0f} s."

    # -- slash commands --------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Answer a question from the documents, citing the passages")
    @app_commands.describe(question="What you want to know, e.g. when did Cuba recognize South Korea?")
    async def ask(self, interaction: discord.Interaction, question: str) -> None:
        await self._answer_interaction(interaction, question)

    async def ask_about_message(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The context menu: with reply_style=thread (in a server's channel) the answer goes in a thread
        started from the message asked about, and the asker gets a private pointer to it."""
        in_channel = interaction.guild_id is not None and not isinstance(message.channel, discord.Thread)
        in_thread = in_channel and (await settings_of(self.bot, scope(interaction))).reply_style == "thread"
        await self._answer_interaction(interaction, message.content, thread_from=message if in_thread else None)

    @app_commands.command(name="search", description="Ranked passages for some words, with their BM25 scores")
    @app_commands.describe(query="Words to look for")
    async def search(self, interaction: discord.Interaction, query: str) -> None:
        if refusal := await self._refuse_cooldown(interaction.guild_id, interaction.user.id):
            await tell(interaction, refusal)
            return
        parse_question(query, self.corpus.settings.max_question_chars)  # bad input -> one line, before work
        hits = await run_or_defer(interaction, self.corpus.search, query, SEARCH_RESULTS, scope(interaction))
        data = embeds.hits_embed(f"Search: {query}", hits)
        await send(interaction, embed=embed(data))

    async def _answer_interaction(self, interaction: discord.Interaction, question: str,
                                  thread_from: discord.Message | None = None) -> None:
        """The answer as the command's reply; or, given `thread_from`, in a thread from that message, with
        a private pointer as the reply (the command's reply when Discord refuses the thread)."""
        if refusal := await self._refuse_cooldown(interaction.guild_id, interaction.user.id):
            await tell(interaction, refusal)
            return
        corpus = self.corpus  # this answer's corpus, also if the bot stops meanwhile
        parse_question(question, corpus.settings.max_question_chars)
        here = scope(interaction)
        answer = self.answers.get(corpus, question, here)  # asked before, nothing changed since: at once
        if answer is None:
            answer = await run_or_defer(interaction, self.answers.ask, corpus, question, here,
                                        ephemeral=thread_from is not None)
        thread = None
        if thread_from is not None:
            thread = thread_from.thread or await self._start_thread(thread_from, question)
        log.info("answered %s found=%s thread=%s", where(interaction), answer.found, thread and thread.id)
        if thread is None:
            message_id, channel_id = await send(interaction, embed=answer_embed(answer),
                                                view=answer_buttons(self.bot)), None
        else:
            sent = await thread.send(embed=answer_embed(answer), view=answer_buttons(self.bot),
                                     allowed_mentions=NO_PINGS)
            message_id, channel_id = sent.id, thread.id
            await tell(interaction, f"Answered in a thread: <#{thread.id}>.")
        await asyncio.to_thread(keep_answer, corpus, here, answer, message_id, channel_id)

    # -- mentions and direct messages ------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        me = self.bot.user
        if message.author.bot or me is None:
            return
        is_dm = message.guild is None
        # Only an explicit @bot in the text: @everyone, role pings and replies that ping the bot are not questions.
        if not is_dm and me.id not in message.raw_mentions:
            return
        here = scope_of(message.guild and message.guild.id)
        settings = await settings_of(self.bot, here)
        channel = message.channel
        # In a thread (one the bot started for an answer, or a forum post it answered) a question is a
        # follow-up, read with the thread's earlier question when it leans on it.
        in_thread = isinstance(channel, discord.Thread)
        where_asked = channel.parent_id if in_thread else channel.id
        if not is_dm and not settings.answers_in(where_asked):  # /config answer_channels
            return
        question = re.sub(rf"<@!?{me.id}>", " ", message.content).strip()
        if not question:
            await self._reply(message, "Ask me a question about the documents, e.g. "
                                       "`@me when did Cuba recognize South Korea?`")
            return
        if refusal := await self._refuse_cooldown(message.guild and message.guild.id, message.author.id):
            await self._reply(message, refusal)
            return
        corpus = self.corpus  # this answer's corpus, also if the bot stops meanwhile
        try:
            if in_thread:
                answer = await asyncio.to_thread(corpus.ask_follow_up, question, here, str(channel.id))
            else:
                answer = await asyncio.to_thread(self.answers.ask, corpus, question, here)
        except RetrievalError as exc:
            context = f"message guild={message.guild and message.guild.id} channel={message.channel.id} " \
                      f"user={message.author.id}"
            await self._reply(message, user_message(exc, context))
            return
        except Exception:
            log.exception("error answering a message guild=%s channel=%s user=%s",
                          message.guild and message.guild.id, message.channel.id, message.author.id)
            await self._reply(message, "Something went wrong on my side; it has been logged.")
            return
        log.info("answered message guild=%s user=%s found=%s", message.guild and message.guild.id,
                 message.author.id, answer.found)
        thread = None
        if not is_dm and not in_thread and settings.reply_style == "thread":
            thread = await self._start_thread(message, question)
        if thread is not None:
            sent = await thread.send(embed=answer_embed(answer), view=answer_buttons(self.bot), allowed_mentions=NO_PINGS)
        else:
            sent = await self._reply(message, embed=answer_embed(answer), view=answer_buttons(self.bot))
        await asyncio.to_thread(keep_answer, corpus, here, answer, sent and sent.id, sent and sent.channel.id)

    async def _start_thread(self, message: discord.Message, question: str) -> discord.Thread | None:
        """A thread from the question's message for its answer; None (and a log line) when Discord refuses
        (no permission, an archived channel, a channel type without threads): the answer is then a reply."""
        try:
            return await message.create_thread(name=embeds.thread_name(question), auto_archive_duration=1440)
        except (discord.HTTPException, ValueError, AttributeError) as exc:
            log.warning("no thread for an answer guild=%s channel=%s: %s", message.guild and message.guild.id,
                        message.channel.id, exc)
            return None

    async def _reply(self, message: discord.Message, text: str | None = None, **kwargs) -> discord.Message | None:
        """Reply without pinging anyone; still answer if the question was deleted meanwhile."""
        content = embeds.message_text(text) if text else None
        try:
            return await message.channel.send(content, reference=message.to_reference(fail_if_not_exists=False),
                                              mention_author=False, allowed_mentions=NO_PINGS, **kwargs)
        except discord.HTTPException as exc:
            log.warning("could not reply guild=%s channel=%s user=%s: %s", message.guild and message.guild.id,
                        message.channel.id, message.author.id, exc)
            return None


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(AskCog(bot))
    bot.add_view(AnswerView(bot))  # persistent: buttons keep working on old answers after a restart
    bot.add_dynamic_items(SourcesPage, ContextPage)
