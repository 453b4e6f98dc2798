# syntax=docker/dockerfile:1
# Mava <-> Slack bridge. Build: docker build -t mava-bot .
# Run (Socket Mode): docker run --env-file .env -v mava-data:/data mava-bot
# Run (HTTP mode):   docker run --env-file .env -v mava-data:/data -p 3000:3000 mava-bot

# The base image is pinned by tag, not by digest (README, "Docker", says why and how to pin).

# --- builder: resolve and install everything into a self-contained venv -----------------
FROM python:3.11-slim AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /src

# Runtime dependencies first (not the dev extra), in their own layer, so a code change
# does not reinstall them. Pinned by constraints.txt (the versions the tests ran with;
# see .ci/lock), so an image built later installs the same versions.
COPY pyproject.toml README.md constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > requirements.txt \
    && pip install -r requirements.txt -c constraints.txt

# Then the runtime package itself, as a regular (non-editable) install, migrations
# included. Only src/ (mava_bridge): the sandbox and the demo stay out of the image.
COPY src ./src
RUN pip install --no-deps . \
    && python -m compileall -q /opt/venv

# --- final: the venv on a clean slim image; the bot runs as the non-root user `app` -----
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH="/opt/venv/bin:$PATH" \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=sqlite+aiosqlite:////data/mava-bot.db

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --create-home app \
    && mkdir /data \
    && chown app:app /data

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app

# SQLite lives in /data: mount a volume there (or set DATABASE_URL to PostgreSQL).
# /healthz and /metrics are served on PORT in both Socket Mode and HTTP mode.
EXPOSE 3000

# No curl in slim images: ask Python (src/mava_bridge/healthcheck.py), at HOST when the
# bot is bound to one address, else on loopback. Any non-200 answer (503 while a check
# fails, while Socket Mode has had no connection for SOCKET_MODE_UNHEALTHY_SECONDS, or
# during shutdown) or no answer marks the container unhealthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-m", "mava_bridge.healthcheck"]

# The entrypoint starts as root only to hand /data to the app user (a volume or host
# folder is often root-owned), then runs the command as `app` (src/mava_bridge/container.py).
ENTRYPOINT ["python", "-m", "mava_bridge.container"]
CMD ["mava-bot", "run"]
