"""Question answering over a document corpus: ingest -> passages -> index -> search -> answer -> render.

Never imports discord: the bot in `cogs/` only translates between Discord and this package.
"""

__version__ = "0.1.0"
