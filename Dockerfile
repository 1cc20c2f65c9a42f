# Slim image for the bot. System packages grow with the voice and sandbox features.
FROM python:3.11-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends make \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 bot
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY cogs ./cogs
COPY data ./data
COPY prompts ./prompts
RUN pip install --no-cache-dir .
USER bot
ENV INTERVIEW_BOT_DATA_DIR=/home/bot/data
VOLUME ["/home/bot/data"]
ENTRYPOINT ["interview-bot"]
CMD ["console"]
