# interview-bot image: slim Python, the project in a virtual environment, a non-root user.
# Build stage: compile/install wheels with pip; the runtime stage gets only the finished venv.
ARG PYTHON_VERSION=3.11
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY cogs ./cogs
COPY data ./data
COPY prompts ./prompts
# Extras to bake in (pyproject.toml [project.optional-dependencies]); add voice for speech.
ARG EXTRAS=postgres,discord,slack,llm,queue
RUN /opt/venv/bin/pip install ".[${EXTRAS}]"

FROM python:${PYTHON_VERSION}-slim-bookworm
# ffmpeg + libopus: voice (decode uploads, Discord's Opus); espeak-ng: offline text-to-speech;
# bubblewrap: the local code sandbox; tini: PID 1 that forwards SIGTERM so shutdown is clean.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg libopus0 espeak-ng bubblewrap tini \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --user-group bot \
 && install -d -o bot -g bot /home/bot/data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    INTERVIEW_BOT_DATA_DIR=/home/bot/data
USER bot
WORKDIR /home/bot
VOLUME ["/home/bot/data"]
# With HTTP_PORT set the process serves /healthz (the store and, for a worker, Redis): probe that.
# Without it (e.g. `docker run … console`), open the configured store and close it.
HEALTHCHECK --interval=30s --timeout=25s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request, bot.store; p = os.environ.get('HTTP_PORT'); urllib.request.urlopen(f'http://127.0.0.1:{p}/healthz', timeout=5) if p else bot.store.healthcheck()"]
ENTRYPOINT ["tini", "--", "interview-bot"]
# `docker compose run --rm bot console` gives the terminal demo; the compose file runs discord.
CMD ["discord"]
