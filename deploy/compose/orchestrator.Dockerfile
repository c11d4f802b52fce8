# llama-orch orchestrator (headless) image. Build from the repository root:
#   docker build -f deploy/compose/orchestrator.Dockerfile -t llama-orch/orchestrator:0.1.0 .
FROM node:22-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The worker package is an npm workspace of the one lockfile: npm ci needs its manifest.
COPY worker-agent/package.json worker-agent/
# No dependency install scripts run (package.json allowScripts); Electron's binary is not needed.
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production LLORCH_DATA_DIR=/data ORCHESTRATORD_BIND_ADDR=0.0.0.0:8080
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
RUN groupadd --gid 10001 llorch && useradd --uid 10001 --gid 10001 --no-create-home llorch && mkdir -p /data && chown llorch:llorch /data
USER 10001:10001
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/src-main/headless/cli.js"]
