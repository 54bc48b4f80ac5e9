# syntax=docker/dockerfile:1
# rumorbot: multi-stage, CPU-only, model converted at build time, runs as a non-root user.
#   docker build -t rumorbot .
#   docker run -p 3000:3000 -e SLACK_BOT_TOKEN=... -e SLACK_SIGNING_SECRET=... -v rumorbot-data:/data rumorbot
# Where only mirrors are reachable, override the base image and the package indexes:
#   --build-arg BASE_IMAGE=... --build-arg PIP_INDEX_URL=... --build-arg TORCH_INDEX_URL=...

ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python3 -m venv /opt/rumorbot
# CPU-only torch first, so nothing below pulls the multi-GB CUDA build. Separate layers on
# purpose: torch changes least and caches best.
# hadolint ignore=DL3059
RUN /opt/rumorbot/bin/pip install --index-url "${TORCH_INDEX_URL}" --extra-index-url "${PIP_INDEX_URL}" "torch==2.13.0"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY migrations ./migrations
RUN /opt/rumorbot/bin/pip install --index-url "${PIP_INDEX_URL}" .
# Convert the e5 model once, into the image: the container starts offline and fast.
# hadolint ignore=DL3059
RUN /opt/rumorbot/bin/python -c "from pathlib import Path; from retrieval.e5_convert import ensure_converted; ensure_converted(Path('/opt/models'))"

FROM ${BASE_IMAGE}
ENV PATH=/opt/rumorbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    RUMORBOT_DATA_DIR=/data \
    RUMORBOT_MODEL_DIR=/opt/models \
    RUMORBOT_CORPUS_DIR=/app/corpus \
    PORT=3000
RUN useradd --create-home --uid 10001 rumorbot \
    && mkdir -p /data && chown rumorbot /data
COPY --from=build /opt/rumorbot /opt/rumorbot
COPY --from=build /opt/models /opt/models
COPY corpus /app/corpus
WORKDIR /app
USER 10001
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=2)"]
CMD ["rumorbot", "serve"]
