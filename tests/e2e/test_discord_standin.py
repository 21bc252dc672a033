"""End-to-end checks that a real, unmodified discord.py ``commands.Bot`` runs against the loopback stand-in."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from discord_standin import (
    BOT_ID,
    CHANNEL_ID,
    GUILD_ID,
    OTHER_USER_ID,
    USER_ID,
    DiscordStandin,
    StandinTimeout,
    make_guild,
    make_member,
    make_user,
)


@pytest_asyncio.fixture
async def standin(leak_check: None) -> AsyncIterator[DiscordStandin]:
    """A started stand-in with default guild/channel/users; also checks it served without internal errors."""
    async with DiscordStandin() as s:
        yield s
    assert not s.internal_errors, s.internal_errors


def new_bot(*, message_content: bool = False) -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = message_content
    return commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)


@pytest.mark.asyncio
async def test_real_bot_end_to_end(standin: DiscordStandin) -> None:
    bot = new_bot(message_content=True)
    errors: list[BaseException] = []

    @bot.tree.command(name="ping", description="Replies pong")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", allowed_mentions=discord.AllowedMentions.none())

    @bot.tree.command(name="secret", description="Ephemeral reply")
    async def secret(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("psst", ephemeral=True)

    @bot.tree.command(name="slow", description="Deferred reply")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        msg = await interaction.followup.send("done", wait=True)
        await interaction.followup.send(f"second after {msg.id}")

    @bot.event
    async def on_message(message: discord.Message) -> None:
        if message.author.bot or bot.user is None or not bot.user.mentioned_in(message):
            return
        await message.reply(f"you said: {message.content}", mention_author=False)

    @bot.tree.error
    async def on_tree_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        errors.append(error)

    async with standin.running(bot):
        assert bot.user is not None and bot.user.id == BOT_ID
        guild = bot.get_guild(GUILD_ID)
        assert guild is not None and guild.get_channel(CHANNEL_ID) is not None
        assert guild.me is not None
        assert standin.identify_payloads[0]["token"] == standin.token

        # Command sync echoes the commands back with ids.
        synced = await bot.tree.sync()
        assert sorted(c.name for c in synced) == ["ping", "secret", "slow"]
        assert all(c.id for c in synced)

        # /ping -> type 4 "pong", no mentions parsed.
        itx = standin.make_slash_interaction("ping")
        req = await standin.interact(itx)
        assert req.json["type"] == 4
        assert req.json["data"]["content"] == "pong"
        assert req.json["data"]["allowed_mentions"]["parse"] == []
        assert req.query.get("with_response") in ("1", "true")

        # Mention -> channel message that replies to the mention.
        mark = standin.mark()
        msg = standin.make_message(f"{standin.bot_mention} hello there", channel_id=CHANNEL_ID)
        await standin.dispatch("MESSAGE_CREATE", msg)
        reply = await standin.wait_for_channel_message(CHANNEL_ID, after=mark)
        assert str(reply.json["message_reference"]["message_id"]) == msg["id"]
        assert "hello there" in reply.json["content"]
        assert reply.headers["Authorization"] == f"Bot {standin.token}"

        # Ephemeral response carries flags 64.
        req = await standin.interact(standin.make_slash_interaction("secret"))
        assert req.json["type"] == 4
        assert req.json["data"]["flags"] & 64

        # Deferred response, then follow-ups on the interaction webhook.
        itx = standin.make_slash_interaction("slow")
        req = await standin.interact(itx)
        assert req.json["type"] == 5
        first = await standin.wait_for_webhook(itx, "POST")
        assert first.json["content"] == "done" and first.query.get("wait") in ("1", "true")
        second = await standin.wait_for_webhook(itx, "POST", after=first.index + 1)
        # The first follow-up after a thinking defer fills the deferred message (as Discord does).
        original_id = req.response_json["interaction"]["response_message_id"]
        assert second.json["content"] == f"second after {original_id}"

    assert bot.is_closed()
    assert not errors, errors


@pytest.mark.asyncio
async def test_attachments_components_autocomplete_and_context_menu(standin: DiscordStandin) -> None:
    bot = new_bot()
    seen: dict[str, Any] = {}

    @bot.tree.command(name="upload", description="Reads an attachment")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}:{len(data)}", file=discord.File(
            __import__("io").BytesIO(data[::-1]), filename="reversed.txt"))

    class Confirm(discord.ui.View):
        @discord.ui.button(label="OK", custom_id="confirm-ok")
        async def ok(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
            await interaction.response.edit_message(content="confirmed", view=None)

    @bot.tree.command(name="ask", description="Sends a button")
    async def ask(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("sure?", view=Confirm(timeout=5))

    async def fruit_complete(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f, value=f) for f in ("apple", "apricot", "banana") if f.startswith(current)]

    @bot.tree.command(name="fruit", description="Autocomplete")
    @app_commands.autocomplete(name=fruit_complete)
    async def fruit(interaction: discord.Interaction, name: str) -> None:
        await interaction.response.send_message(name)

    @bot.tree.context_menu(name="Quote")
    async def quote(interaction: discord.Interaction, message: discord.Message) -> None:
        seen["quoted"] = message.content
        await interaction.response.send_message(f"> {message.content}", ephemeral=True)

    @bot.tree.command(name="admin", description="Needs manage_guild")
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("admin ok")

    @admin.error
    async def admin_error(interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await interaction.response.send_message(f"denied:{type(error).__name__}", ephemeral=True)

    async with standin.running(bot):
        # Attachment download from the stand-in and a file upload back (multipart).
        att = standin.add_attachment("notes.txt", b"hello world", "text/plain")
        req = await standin.interact(standin.make_slash_interaction("upload", {"file": att}))
        assert req.json["data"]["content"] == "notes.txt:11"
        assert req.files and req.files[0].data == b"dlrow olleh"
        assert req.response_json["resource"]["message"]["attachments"][0]["filename"] == "reversed.txt"

        # A view registered under the response message id receives the click.
        req = await standin.interact(standin.make_slash_interaction("ask"))
        buttons = req.json["data"]["components"][0]["components"]
        assert buttons[0]["custom_id"] == "confirm-ok"
        click = standin.make_component_interaction("confirm-ok")
        req = await standin.interact(click)
        assert req.json["type"] == 7 and req.json["data"]["content"] == "confirmed"

        # Autocomplete answers with choices (type 8).
        req = await standin.interact(standin.make_autocomplete_interaction("fruit", {"name": "ap"}, focused="name"))
        assert req.json["type"] == 8
        assert [c["value"] for c in req.json["data"]["choices"]] == ["apple", "apricot"]

        # Message context menu resolves the target message.
        target = standin.make_message("quote me")
        req = await standin.interact(standin.make_message_context_interaction("Quote", target))
        assert seen["quoted"] == "quote me" and req.json["data"]["flags"] & 64

        # Run-time permission checks read member.permissions from the payload.
        req = await standin.interact(standin.make_slash_interaction("admin", permissions="0"))
        assert req.json["data"]["content"] == "denied:MissingPermissions"
        manage_guild = str(discord.Permissions(manage_guild=True).value)
        req = await standin.interact(standin.make_slash_interaction("admin", permissions=manage_guild))
        assert req.json["data"]["content"] == "admin ok"


@pytest.mark.asyncio
async def test_message_content_intent_dm_and_rate_limit(standin: DiscordStandin) -> None:
    bot = new_bot(message_content=False)
    contents: list[str] = []

    @bot.event
    async def on_message(message: discord.Message) -> None:
        contents.append(message.content)
        if message.guild is None:
            await message.channel.send("dm reply")

    async with standin.running(bot):
        # Without the message_content intent, non-mentioning guild messages arrive blank, like on Discord.
        await standin.dispatch("MESSAGE_CREATE", standin.make_message("no mention here"))
        await standin.dispatch("MESSAGE_CREATE", standin.make_message(f"{standin.bot_mention} with mention"))
        for _ in range(100):
            if len(contents) == 2:
                break
            await asyncio.sleep(0.01)
        assert contents == ["", f"{standin.bot_mention} with mention"]

        # A DM: no guild, reply goes to the DM channel; the first try gets a 429 that is retried.
        standin.fail_next("POST", rf"/channels/{standin.dm_channel_id(USER_ID)}/messages", 429)
        mark = standin.mark()
        await standin.dispatch("MESSAGE_CREATE", standin.make_dm_message("hi bot"))
        ok = await standin.wait_for_request(lambda r: r.response_status == 200 and r.content == "dm reply", after=mark)
        posts = standin.find_requests("POST", r"/channels/\d+/messages", after=mark)
        assert [r.response_status for r in posts] == [429, 200]
        assert ok.path == f"/channels/{standin.dm_channel_id(USER_ID)}/messages"


@pytest.mark.asyncio
@pytest.mark.parametrize("compress", [True, False])
async def test_gateway_compression_modes(compress: bool, leak_check: None) -> None:
    async with DiscordStandin(compress=compress) as s:
        bot = new_bot()
        async with s.running(bot):
            assert s.connection is not None
            assert (s.connection.compress == "zlib-stream") is compress
            assert {p["op"] for p in s.gateway_received} >= {1, 2}  # heartbeat + identify
            # A pushed event after READY still parses (sequence numbers advance).
            seq = await s.dispatch("MESSAGE_CREATE", s.make_message("x"))
            assert seq >= 3


@pytest.mark.asyncio
async def test_bad_token_fails_login(leak_check: None) -> None:
    async with DiscordStandin() as s:
        bot = new_bot()
        with pytest.raises(discord.LoginFailure):
            await bot.login("wrong-token")
        await bot.close()
        with pytest.raises(StandinTimeout):
            await s.wait_for_request(lambda r: r.path == "/nothing", timeout=0.05)


@pytest.mark.asyncio
async def test_dm_slash_original_response_modal_user_menu_and_resume(standin: DiscordStandin) -> None:
    bot = new_bot()
    got: dict[str, Any] = {}

    @bot.tree.command(name="edit", description="Edits its reply")
    async def edit(interaction: discord.Interaction) -> None:
        got["in_dm"] = interaction.guild is None
        await interaction.response.send_message("first")
        original = await interaction.original_response()
        got["original_content"] = original.content
        await interaction.edit_original_response(content="second")

    class Ask(discord.ui.Modal, title="Ask"):
        question: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Question", custom_id="q")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"asked: {self.question.value}", ephemeral=True)

    @bot.tree.command(name="form", description="Opens a modal")
    async def form(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Ask(timeout=5))

    @bot.tree.context_menu(name="Who")
    async def who(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"that is {member.name}")

    async with standin.running(bot):
        itx = standin.make_slash_interaction("edit", guild_id=None)
        req = await standin.interact(itx)
        assert req.json["data"]["content"] == "first"
        patch = await standin.wait_for_webhook(itx, "PATCH")
        assert patch.path.endswith("/messages/@original") and patch.json["content"] == "second"
        assert got == {"in_dm": True, "original_content": "first"}
        assert standin.last_bot_message()["content"] == "second"

        itx = standin.make_slash_interaction("form")
        req = await standin.interact(itx)
        assert req.json["type"] == 9 and req.json["data"]["custom_id"]
        submit = standin.make_modal_submit_interaction(req.json["data"]["custom_id"], {"q": "why?"})
        req = await standin.interact(submit)
        assert req.json["data"]["content"] == "asked: why?"

        req = await standin.interact(standin.make_user_context_interaction("Who", OTHER_USER_ID))
        assert req.json["data"]["content"] == "that is bob"

        # op 7 RECONNECT: discord.py resumes on resume_gateway_url; events keep flowing afterwards.
        mark = len(standin.gateway_received)
        await standin.send_op(7, None)
        resume = await standin.wait_for_gateway(lambda p: p["op"] == 6, after=mark)
        assert resume["d"]["token"] == standin.token and resume["d"]["session_id"].startswith("standin-session-")
        await standin.wait_for_gateway(lambda p: p["op"] == 1, after=mark)  # heartbeat on the new socket
        req = await standin.interact(standin.make_slash_interaction("edit"))
        assert req.json["data"]["content"] == "first"


@pytest.mark.asyncio
async def test_raw_http_contract(standin: DiscordStandin) -> None:
    import aiohttp

    att = standin.add_attachment("a.bin", b"\x00\x01")
    auth = {"Authorization": f"Bot {standin.token}"}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{standin.base_url}/api/v10/users/@me", headers=auth) as r:
            assert r.status == 200 and r.headers["Content-Type"] == "application/json"
        async with http.get(f"{standin.base_url}/api/v10/users/@me") as r:
            assert r.status == 401
        async with http.get(att["url"]) as r:
            assert await r.read() == b"\x00\x01"
        async with http.post(f"{standin.base_url}/api/v10/whatever/else", json={"a": 1}, headers=auth) as r:
            assert r.status == 200 and await r.json() == {}
    req = await standin.wait_for_request(lambda r: r.path == "/whatever/else")
    assert req.json == {"a": 1}


@pytest.mark.asyncio
async def test_guild_commands_custom_guild_and_member_chunking(leak_check: None) -> None:
    other_guild = 1_300_000_000_000_000_000
    guild = make_guild(other_guild, "Big", members=[make_member(make_user(USER_ID, "alice"))])
    guild["member_count"] = 50  # more than sent: a members-intent bot asks for a chunk (op 8)
    async with DiscordStandin(guilds=[guild]) as s:
        intents = discord.Intents.default()
        intents.members = True
        bot = commands.Bot(command_prefix="!", intents=intents, guild_ready_timeout=0.1)

        @bot.tree.command(name="local", description="Guild-only")
        @app_commands.guilds(other_guild)
        async def local(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"in {interaction.guild_id}")

        async with s.running(bot):
            chunk_req = await s.wait_for_gateway(lambda p: p["op"] == 8)
            assert int(chunk_req["d"]["guild_id"]) == other_guild
            assert bot.get_guild(other_guild).get_member(USER_ID) is not None

            await bot.tree.sync(guild=discord.Object(other_guild))
            assert [c["name"] for c in s.synced_commands[other_guild]] == ["local"]
            req = await s.interact(s.make_slash_interaction("local"))  # data.guild_id set automatically
            assert req.json["data"]["content"] == f"in {other_guild}"
            assert s.default_channel_id == other_guild + 1
