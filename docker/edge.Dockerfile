# syntax=docker/dockerfile:1.7
# The MCP edge. Build from the repository root:
#   docker build -f docker/edge.Dockerfile -t outpost-edge .
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: shared + edge sources, the compiler, turbo build ----------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY docker/prune-workspaces.mjs docker/
COPY libs/shared/package.json libs/shared/
COPY services/mcp-edge/package.json services/mcp-edge/
# Only these two workspaces: the others (infra: cdktf, ~400 MB) are not needed to build the edge.
RUN node docker/prune-workspaces.mjs --dev=typescript,turbo,@types/node libs/shared services/mcp-edge \
 && npm install --ignore-scripts --no-audit --no-fund
COPY libs/shared libs/shared
COPY services/mcp-edge services/mcp-edge
RUN npx turbo run build --filter=@outpost/mcp-edge... --output-logs=errors-only

# --- deps: production dependencies only, at the lockfile's versions ---------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY docker/prune-workspaces.mjs docker/
COPY libs/shared/package.json libs/shared/
COPY services/mcp-edge/package.json services/mcp-edge/
RUN node docker/prune-workspaces.mjs libs/shared services/mcp-edge \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf docker && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production OUTPOST_MODE=aws OUTPOST_EDGE_PORT=8080 OUTPOST_EDGE_HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /src/libs/shared/dist libs/shared/dist
COPY --from=build /src/services/mcp-edge/dist services/mcp-edge/dist
# The node image's unprivileged user (uid 1000); files stay root-owned, so read-only to the process.
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "services/mcp-edge/dist/main.js"]
