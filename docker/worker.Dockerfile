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
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git python3 python3-venv procps ripgrep \
 && rm -rf /var/lib/apt/lists/*
# The agent CLIs at the versions in libs/shared/agent-clis.json: the one list the image, the tests
# and local mode (`npm run agents -- install`) all read. Grok's is the community CLI (binary
# `grok`): xAI publishes none of its own.
COPY libs/shared/agent-clis.json /opt/outpost/agent-clis.json
RUN npm install -g --no-audit --no-fund $(node -e 'const p = require("/opt/outpost/agent-clis.json"); \
      console.log(Object.values(p).filter((c) => c.source === "npm").map((c) => `${c.package}@${c.version}`).join(" "))') \
 && npm cache clean --force
RUN python3 -m venv /opt/aider \
 && /opt/aider/bin/pip install --no-cache-dir "aider-chat==$(node -p 'require("/opt/outpost/agent-clis.json").aider.version')" \
 && ln -s /opt/aider/bin/aider /usr/local/bin/aider
# Agents run as `agent` (no login shell, no sudo); the worker hands each run a workspace it owns.
RUN useradd --system --uid 10001 --user-group --create-home --home-dir /home/agent --shell /usr/sbin/nologin agent

ENV NODE_ENV=production OUTPOST_MODE=aws OUTPOST_AGENT_USER=agent OUTPOST_WORKER_ROOT=/var/lib/outpost/work
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /src/libs/shared/dist libs/shared/dist
COPY libs/shared/agent-clis.json libs/shared/agent-clis.json
COPY --from=build /src/services/worker/dist services/worker/dist
RUN mkdir -p /var/lib/outpost/work && chmod 0711 /var/lib/outpost/work
# The worker itself stays root on purpose: it drops each agent to OUTPOST_AGENT_USER (setuid needs
# root), so an agent can neither read the worker's memory, tokens and files nor signal it. Running
# the worker unprivileged instead would run agents as the worker's own uid. The task definition
# drops the capabilities the worker does not need.
USER root
CMD ["node", "services/worker/dist/main.js"]
