# llama-orch worker agent images, CPU and CUDA variants. Build from the repository root:
#   docker build -f deploy/compose/worker.Dockerfile --target cpu  -t llama-orch/worker:0.1.0-cpu .
#   docker build -f deploy/compose/worker.Dockerfile --target cuda -t llama-orch/worker:0.1.0-cuda .
# The image holds the installable worker package (`npm pack -w worker-agent`, docs/WORKER.md): the agent
# bundled with its runtime dependencies only, no Electron, dashboard or dev tooling. node-llama-cpp ships
# prebuilt llama.cpp binaries (CPU, CUDA, Vulkan) as npm packages; the CUDA variant only adds the CUDA
# runtime libraries they load.
FROM node:22-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
# The worker package is an npm workspace of the one lockfile: npm ci needs its manifest.
COPY worker-agent/package.json worker-agent/
ENV ELECTRON_SKIP_BINARY_DOWNLOAD=1
RUN npm ci --ignore-scripts
COPY . .
RUN mkdir /pkg && npm pack -w worker-agent --pack-destination /pkg

FROM node:22-bookworm-slim AS cpu
ENV NODE_ENV=production POOL_MANAGERD_BIND_ADDR=0.0.0.0:9200 POOL_MANAGERD_MODELS_DIR=/models POOL_MANAGERD_DATA_DIR=/state
COPY --from=build /pkg/ /pkg/
# node-llama-cpp's install script is not needed: its llama.cpp binaries ship prebuilt.
RUN npm install -g --ignore-scripts /pkg/llama-orch-worker-*.tgz && rm -rf /pkg /root/.npm \
 && groupadd --gid 10001 llorch && useradd --uid 10001 --gid 10001 --no-create-home llorch && mkdir -p /models /state && chown llorch:llorch /models /state
USER 10001:10001
EXPOSE 9200
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9200/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["llama-orch-worker"]
CMD ["start"]

FROM nvidia/cuda:12.4.1-runtime-ubuntu22.04 AS cuda
COPY --from=node:22-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=cpu /usr/local/lib/node_modules/llama-orch-worker /usr/local/lib/node_modules/llama-orch-worker
ENV NODE_ENV=production POOL_MANAGERD_BIND_ADDR=0.0.0.0:9200 POOL_MANAGERD_MODELS_DIR=/models POOL_MANAGERD_DATA_DIR=/state
RUN ln -s /usr/local/lib/node_modules/llama-orch-worker/bin/llama-orch-worker.js /usr/local/bin/llama-orch-worker \
 && groupadd --gid 10001 llorch && useradd --uid 10001 --gid 10001 --no-create-home llorch && mkdir -p /models /state && chown llorch:llorch /models /state
USER 10001:10001
EXPOSE 9200
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9200/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["llama-orch-worker"]
CMD ["start"]
