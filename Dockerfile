# The Discord bot. Installs the project exactly as the README does (scripts/install.sh, as `make install`),
# runs as a non-root user, keeps the database on a volume, and reports unhealthy when not connected.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RETRIEVAL_DB=/data/corpus.db \
    RETRIEVAL_CORPUS_DIR=/app/corpus \
    HEALTH_FILE=/tmp/corpus-qa-bot.health \
    NUMBA_CACHE_DIR=/data/.numba-cache

WORKDIR /app
COPY pyproject.toml README.md bot.py ./
COPY retrieval ./retrieval
COPY cogs ./cogs
COPY corpus ./corpus
COPY scripts/install.sh ./scripts/
RUN sh scripts/install.sh /opt/venv \
    && useradd --create-home --uid 10001 bot \
    && mkdir -p /data && chown bot:bot /data
ENV PATH=/opt/venv/bin:$PATH

USER bot
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["python", "bot.py", "--health"]
CMD ["python", "bot.py"]
