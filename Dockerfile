# syntax=docker/dockerfile:1
#
# One image for every process; the command chooses:
#   docker run IMAGE                      -> ftjobs api --host 0.0.0.0 --port 8000
#   docker run IMAGE worker | scheduler | migrate | keys create --team NAME
#
# Base: python:3.11.16-slim-bookworm, pinned by tag and by the digest of its multi-architecture
# index (amd64 + arm64). To move to a newer base, update both together (`docker buildx
# imagetools inspect python:3.11-slim-bookworm` prints the current index digest).
ARG PYTHON_IMAGE=python:3.11.16-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

# ---------------------------------------------------------------------------------------------
# build: a virtualenv in /opt/venv with the pinned runtime dependencies, then the project wheel.
FROM ${PYTHON_IMAGE} AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /src

# Dependencies first, from the pin list alone, so this layer is reused until the pins change.
COPY .ci/constraints.txt /src/.ci/constraints.txt
RUN pip install --only-binary=:all: -r .ci/constraints.txt

# Then the project itself, without dependencies (they are all above); `pip check` fails the
# build when the pins no longer satisfy pyproject's requirements.
COPY pyproject.toml README.md /src/
COPY service /src/service
COPY workers /src/workers
COPY migrations /src/migrations
RUN pip install --no-deps . \
    && pip check \
    && python -m compileall -q /opt/venv/lib

# ---------------------------------------------------------------------------------------------
# runtime: the same base, the virtualenv, a numeric non-root user. No compiler, no pip cache.
FROM ${PYTHON_IMAGE} AS runtime

ARG UID=10001
ARG GID=10001

LABEL org.opencontainers.image.title="finetune-jobs" \
      org.opencontainers.image.description="Fine-tune models on preference data (DPO/SFT) via OpenAI" \
      org.opencontainers.image.licenses="MIT"

RUN groupadd --system --gid "${GID}" ftjobs \
    && useradd --system --no-log-init --uid "${UID}" --gid "${GID}" --home-dir /nonexistent --no-create-home \
       --shell /usr/sbin/nologin ftjobs \
    && mkdir -p /var/lib/ftjobs/blobs \
    && chown -R "${UID}:${GID}" /var/lib/ftjobs

COPY --from=build /opt/venv /opt/venv

# The root filesystem can be read-only: bytecode is compiled at build time, and the only
# writable places are the blob directory (a volume shared by api and worker) and /tmp.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FTJOBS_DATA_DIR=/var/lib/ftjobs \
    FTJOBS_BLOB_DIR=/var/lib/ftjobs/blobs \
    HEALTHCHECK_URL=http://127.0.0.1:8000/health/live

WORKDIR /var/lib/ftjobs
USER ${UID}:${GID}
EXPOSE 8000

# For `ftjobs api` only; worker and scheduler containers serve no HTTP, so run them with
# `--no-healthcheck` (compose: `healthcheck: {disable: true}`). Kubernetes ignores HEALTHCHECK
# and uses the chart's probes instead. The slim base has no curl: Python's stdlib does the GET.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]

ENTRYPOINT ["ftjobs"]
CMD ["api", "--host", "0.0.0.0", "--port", "8000"]
