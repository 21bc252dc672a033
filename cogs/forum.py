"""Forum auto-answer: a new post in a forum channel the server chose (/config set forum_channels) is read
(title and first message) and answered in the post when the documents answer it with confidence.

Needs the privileged Message Content intent (the operator's MESSAGE_CONTENT_INTENT); without it this cog
does nothing and everything else works. The rule of what to ask and when to reply is retrieval/forum_posts.py.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from retrieval.community import keep_answer, scope_of
from retrieval.errors import RetrievalError
from retrieval.forum_posts import answer_post, worth_posting

from .answer_views import answer_buttons, answer_embed
from .common import NO_PINGS, log, settings_of

if TYPE_CHECKING:
    from bot import CorpusBot

STARTER_TRIES = 3  # the post's first message can arrive (or be fetchable) just after THREAD_CREATE
STARTER_WAIT_SECONDS = 0.5


class ForumCog(commands.Cog):
    def __init__(self, bot: "CorpusBot") -> None:
        self.bot = bot
        if not bot.config.message_content:
            log.info("forum auto-answer is off: MESSAGE_CONTENT_INTENT is not set")

    async def _starter(self, thread: discord.Thread) -> discord.Message | None:
        """The post's first message (its id is the thread's), from the cache or fetched."""
        for attempt in range(STARTER_TRIES):
            if thread.starter_message is not None:
                return thread.starter_message
            try:
                return await thread.fetch_message(thread.id)
            except discord.NotFound:
                await asyncio.sleep(STARTER_WAIT_SECONDS * (attempt + 1))
            except discord.HTTPException as exc:
                log.warning("cannot read forum post guild=%s thread=%s: %s", thread.guild.id, thread.id, exc)
                return None
        return None

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        me = self.bot.user
        if not self.bot.config.message_content or me is None or thread.owner_id == me.id:
            return
        if not isinstance(thread.parent, discord.ForumChannel):
            return
        here = scope_of(thread.guild.id)
        settings = await settings_of(self.bot, here)
        if thread.parent_id not in settings.forum_channels:
            return
        starter = await self._starter(thread)
        if starter is None or starter.author.bot:
            return
        if self.bot.cooldowns.retry_after(here, starter.author.id, settings.cooldown_questions,
                                      settings.cooldown_seconds) is not None:
            log.info("forum post not answered (cooldown) guild=%s thread=%s", thread.guild.id, thread.id)
            return
        corpus = self.bot.corpus
        limit = corpus.settings.max_question_chars
        try:
            answer = await asyncio.to_thread(answer_post, thread.name, starter.content, limit,
                                             lambda q: corpus.ask(q, scope=here))
        except RetrievalError as exc:  # a post is not a command: nobody to tell privately; the log says why
            log.warning("forum post not answered guild=%s thread=%s: %s", thread.guild.id, thread.id, exc)
            return
        if answer is None:
            return
        if not worth_posting(answer, settings.forum_replies):
            log.info("forum post not answered (%s) guild=%s thread=%s", answer.confidence, thread.guild.id, thread.id)
            await asyncio.to_thread(keep_answer, corpus, here, answer)  # for /corpus gaps
            return
        try:
            sent = await thread.send(embed=answer_embed(answer), view=answer_buttons(self.bot),
                                     allowed_mentions=NO_PINGS)
        except discord.HTTPException as exc:
            log.warning("cannot answer forum post guild=%s thread=%s: %s", thread.guild.id, thread.id, exc)
            sent = None
        else:
            log.info("answered forum post guild=%s thread=%s", thread.guild.id, thread.id)
        # Kept with the post's id, so a mention in the post is a follow-up read with this question.
        await asyncio.to_thread(keep_answer, corpus, here, answer, sent and sent.id, thread.id)


async def setup(bot: "CorpusBot") -> None:
    """discord.py extension entry point (bot.EXTENSIONS)."""
    await bot.add_cog(ForumCog(bot))
