# syntax=docker/dockerfile:1.7
# The notifier (webhook deliveries). Build from the repository root:
#   docker build -f docker/dispatcher.Dockerfile -t outpost-notifier .
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: shared + dispatcher sources, the compiler, turbo build ----------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json turbo.json tsconfig.base.json ./
COPY docker/prune-workspaces.mjs docker/
COPY libs/shared/package.json libs/shared/
COPY services/notifier/package.json services/notifier/
# Only these two workspaces: the others (infra: cdktf, ~400 MB) are not needed to build the notifier.
RUN node docker/prune-workspaces.mjs --dev=typescript,turbo,@types/node libs/shared services/notifier \
 && npm install --ignore-scripts --no-audit --no-fund
COPY libs/shared libs/shared
COPY services/notifier services/notifier
RUN npx turbo run build --filter=@outpost/notifier... --output-logs=errors-only

# --- deps: production dependencies only, at the lockfile's versions ---------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY docker/prune-workspaces.mjs docker/
COPY libs/shared/package.json libs/shared/
COPY services/notifier/package.json services/notifier/
RUN node docker/prune-workspaces.mjs libs/shared services/notifier \
 && npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf docker && npm cache clean --force

# --- runtime ----------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production OUTPOST_MODE=aws
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /src/libs/shared/dist libs/shared/dist
COPY --from=build /src/services/notifier/dist services/notifier/dist
# The node image's unprivileged user (uid 1000); files stay root-owned, so read-only to the process.
USER node
CMD ["node", "services/notifier/dist/main.js"]
