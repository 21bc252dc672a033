"""Web sources on Discord (issue 13), end to end on the loopback stand-in with the real discord.py client and a
real HTTP site on loopback: /corpus add url:, /corpus sources, /corpus refresh, /corpus remove of a source, and
the unattended re-sync on a short schedule posting what changed to the notices channel."""

from __future__ import annotations

import asyncio

from discord_standin import GUILD_ID, OTHER_CHANNEL_ID, DiscordStandin
from test_bot import EPHEMERAL, MANAGE_GUILD, ask, assert_every_message_was_sendable, corpus_dir, guilds, make_bot  # noqa: F401
from test_server_config import config_set
from web_site import SiteServer, docs_site, html

from retrieval.web.address_guard import parse_networks


def allow_loopback(bot) -> None:
    """The tests' own allowance (the product refuses loopback): the site runs on 127.0.0.1."""
    bot.corpus.settings = bot.corpus.settings.with_(web_allow_networks=parse_networks("127.0.0.1"),
                                                    web_request_interval=0.0, web_timeout_seconds=1.0,
                                                    max_file_bytes=1_000_000)


async def command(standin: DiscordStandin, sub: str, options: dict | None = None, **kw) -> str:
    """A /corpus subcommand's final text (deferred and edited, or answered at once)."""
    itx = standin.make_slash_interaction("corpus", options, subcommand=sub, **kw)
    mark = standin.mark()
    first = await standin.interact(itx)
    if first.json["type"] == 4:
        data = first.json["data"]
        return data.get("content") or str(data.get("embeds"))
    assert first.json["data"]["flags"] & EPHEMERAL
    for _ in range(200):
        edits = [r for r in standin.find_requests("PATCH", after=mark) if r.is_webhook_for(itx)]
        if edits and not edits[-1].json.get("content", "").endswith("meanwhile)"):
            return edits[-1].json.get("content") or str(edits[-1].json.get("embeds"))
        await standin.wait_for_webhook(itx, "PATCH", after=edits[-1].index + 1 if edits else mark, timeout=30)
    raise AssertionError("no final edit")


async def test_moderators_add_list_refresh_and_remove_a_web_source(leak_check: None, make_bot) -> None:
    with SiteServer(docs_site(), slow_seconds=2.0) as site:
        async with DiscordStandin(guilds=guilds()) as standin:
            bot = make_bot(standin.token)
            async with standin.running(bot):
                allow_loopback(bot)
                refused = await command(standin, "add", {"url": site.url("/docs/index.html")})
                assert refused.startswith("Only moderators")
                both = await command(standin, "add", {"url": "https://x.org/"}, permissions=MANAGE_GUILD,
                                     attachments={"file": standin.add_attachment("a.txt", b"text", "text/plain")})
                assert both == "Give either a file or a url (not both)."
                inside = await command(standin, "add", {"url": "http://10.0.0.7/wiki/"}, permissions=MANAGE_GUILD)
                assert "private network" in inside and "\n" not in inside

                added = await command(standin, "add", {"url": site.url("/docs/index.html"), "site": True},
                                      permissions=MANAGE_GUILD)
                assert "6 added, 0 changed, 0 removed" in added and "robots.txt" in added and "HTTP 500" in added
                reply = await ask(standin, "Where does the Zephyr configuration file live?")
                cited = str(reply["data"]["embeds"])
                assert "/etc/zephyr/zephyr.toml" in cited and site.url("/docs/b.html") in cited

                listed = await command(standin, "sources")
                assert site.url("/docs/index.html") in listed and "6 pages" in listed

                site.put("/docs/a.html", html("Installing Zephyr", "Install Zephyr with pipx install zephyr."))
                refreshed = await command(standin, "refresh", permissions=MANAGE_GUILD)
                assert "0 added, 1 changed, 0 removed, 5 unchanged" in refreshed

                removed = await command(standin, "remove", {"document": "#1"}, permissions=MANAGE_GUILD)
                assert removed.startswith("Removed the web source #1") and "6 pages" in removed
                assert "No web sources yet" in await command(standin, "sources")
                gone = await ask(standin, "Where does the Zephyr configuration file live?")
                assert "/etc/zephyr/zephyr.toml" not in str(gone["data"].get("embeds"))
                assert_every_message_was_sendable(standin)


async def test_the_schedule_resyncs_and_posts_a_changed_and_a_vanished_page(leak_check: None, make_bot) -> None:
    with SiteServer(docs_site(), slow_seconds=0.1) as site:
        async with DiscordStandin(guilds=guilds()) as standin:
            bot = make_bot(standin.token, web_sync_min_hours=0.0)  # the operator allows any schedule here
            async with standin.running(bot):
                allow_loopback(bot)
                assert (await config_set(standin, "notices_channel", f"<#{OTHER_CHANNEL_ID}>",
                                         permissions=MANAGE_GUILD)).startswith("notices_channel is now")
                added = await command(standin, "add", {"url": site.url("/docs/index.html"), "site": True},
                                      permissions=MANAGE_GUILD)
                assert "7 added" in added  # the slow page is quick here
                site.put("/docs/a.html", html("Installing Zephyr", "Install Zephyr with pipx install zephyr."))
                del site.pages["/docs/b.html"]
                mark = standin.mark()
                assert (await config_set(standin, "web_sync_hours", "0.0005", permissions=MANAGE_GUILD)) == \
                    "web_sync_hours is now 0.0005."  # under two seconds
                posted = await standin.wait_for_channel_message(OTHER_CHANNEL_ID, timeout=20, after=mark)
                text = posted.json["content"]
                assert text.startswith("**Web sources re-synced**") and "0 added, 1 changed, 1 removed" in text
                assert f"changed: <{site.url('/docs/a.html')}>" in text and f"removed: <{site.url('/docs/b.html')}>" in text
                assert posted.json["allowed_mentions"]["parse"] == []
                for _ in range(100):
                    if not bot.corpus.busy:
                        break
                    await asyncio.sleep(0.05)
                answer = await ask(standin, "How do I install Zephyr?")
                assert "pipx" in str(answer["data"]["embeds"])
                assert (await config_set(standin, "web_sync_hours", "0", permissions=MANAGE_GUILD)) == \
                    "web_sync_hours is now 0.0."
                assert str(GUILD_ID) in {s.scope for s in bot.corpus.store.web_sources()}
