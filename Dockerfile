# syntax=docker/dockerfile:1
# postmortem-bot: `docker build -t postmortem-bot .`; run it with docker-compose.yml.
# tests/deploy/test_container.py builds the same wheel, installs it in a fresh virtual
# environment and runs this file's CMD and HEALTHCHECK against PostgreSQL: keep them in step.

# --- builder: the project's wheel, nothing else -------------------------------------------
FROM python:3.11-slim AS builder
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY flows ./flows
COPY storage ./storage
COPY slack_emulator ./slack_emulator
RUN pip wheel --no-cache-dir --disable-pip-version-check --no-deps --wheel-dir /wheels .

# --- runtime: the wheel and its dependencies, run as a non-root user ----------------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000 \
    POSTMORTEM_ARCHIVE_DIR=/data/post-mortems
COPY --from=builder /wheels /tmp/wheels
RUN pip install /tmp/wheels/*.whl \
 && rm -rf /tmp/wheels \
 && useradd --system --uid 10001 --user-group --home-dir /app --create-home \
      --shell /usr/sbin/nologin postmortem \
 && mkdir -p /data/post-mortems \
 && chown -R 10001:10001 /data
WORKDIR /app
USER 10001:10001
EXPOSE 3000
# Liveness without curl (not in the slim image): any answer but 200 raises, so exit 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"]
# Migrates the schema (a no-op when at head), then serves on $PORT; SIGTERM stops it cleanly.
CMD ["postmortem-bot", "serve"]
