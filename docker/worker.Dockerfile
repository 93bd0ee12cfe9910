# syntax=docker/dockerfile:1.7
# The worker: runs coding agents. Build from the repository root:
#   docker build -f docker/worker.Dockerfile -t outpost-worker .
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: shared + worker sources, the compiler, turbo build ----------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY docker/prune-workspaces.mjs docker/
COPY libs/shared/package.json libs/shared/
COPY services/worker/package.json services/worker/
# Only these two workspaces: the others (infra: cdktf, ~400 MB) are not needed to build the worker.
RUN node docker/prune-workspaces.mjs --dev=typescript,turbo,@types/node libs/shared services/worker \
 && npm install --ignore-scripts --no-audit --no-fund
COPY libs/shared libs/shared
COPY services/worker services/worker
RUN npx turbo run build --filter=@outpost/worker... --output-logs=errors-only

# --- deps: production dependencies only, at the lockfile's versions ---------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY docker/prune-workspaces.mjs docker/
COPY libs/shared/package.json libs/shared/
COPY services/worker/package.json services/worker/
RUN node docker/prune-workspaces.mjs libs/shared services/worker \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf docker && npm cache clean --force

# --- runtime: git, the agent CLIs at pinned versions, an unprivileged user for agents ---------
FROM ${NODE_IMAGE} AS runtime
ARG CLAUDE_CODE_VERSION=2.1.329
ARG CODEX_VERSION=0.169.0
ARG GEMINI_CLI_VERSION=0.61.0
# Grok: xAI publishes no CLI of its own; this is the community one (binary `grok`), pinned like the rest.
ARG GROK_CLI_VERSION=0.0.34
ARG AIDER_VERSION=0.86.2

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git python3 python3-venv procps ripgrep \
 && rm -rf /var/lib/apt/lists/*
RUN npm install -g --no-audit --no-fund \
      "@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}" \
      "@openai/codex@${CODEX_VERSION}" \
      "@google/gemini-cli@${GEMINI_CLI_VERSION}" \
      "@vibe-kit/grok-cli@${GROK_CLI_VERSION}" \
 && npm cache clean --force
RUN python3 -m venv /opt/aider \
 && /opt/aider/bin/pip install --no-cache-dir "aider-chat==${AIDER_VERSION}" \
 && ln -s /opt/aider/bin/aider /usr/local/bin/aider
# Agents run as `agent` (no login shell, no sudo); the worker hands each run a workspace it owns.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/agent --shell /usr/sbin/nologin agent

ENV NODE_ENV=production OUTPOST_MODE=aws OUTPOST_AGENT_USER=agent OUTPOST_WORKER_ROOT=/var/lib/outpost/work
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /src/libs/shared/dist libs/shared/dist
COPY --from=build /src/services/worker/dist services/worker/dist
RUN mkdir -p /var/lib/outpost/work && chmod 0711 /var/lib/outpost/work
# The worker itself stays root on purpose: it drops each agent to OUTPOST_AGENT_USER (setuid needs
# root), so an agent can neither read the worker's memory, tokens and files nor signal it. Running
# the worker unprivileged instead would run agents as the worker's own uid. The task definition
# drops the capabilities the worker does not need.
USER root
CMD ["node", "services/worker/dist/main.js"]
