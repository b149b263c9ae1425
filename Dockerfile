# syntax=docker/dockerfile:1
# wasmx serve in a container (docs/deploy.md). Two stages: `build` compiles the addon into an N-API prebuild and
# the module into a binary; `runtime` holds only Node.js, the prebuild, the compiled TypeScript, the production
# dependencies and the module: no compiler, a non-root user, `wasmx serve` as the entry point.
#
#   docker build -t wasmx .                                        # serves examples/accept-loop.wat
#   docker build -t my-app --build-arg MODULE=path/to/app.wasm .   # your module (.wasm or .wat) baked in
#   docker run --rm -p 8080:8080 -p 9090:9090 wasmx                # then: curl localhost:8080/ localhost:9090/metrics
#   docker run --rm -p 8080:8080 -p 9090:9090 -v "$PWD/mod:/module:ro" wasmx \
#       --tcplisten 0.0.0.0:8080 --admin 0.0.0.0:9090 --grace 20 /module/app.wasm   # module from a volume
#
# test/deploy.test.ts reads this file: it checks the runtime stage and runs its entry point from the files the
# COPY --from=build lines name. Keep those lines plain (one source path each).
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
# node-gyp's toolchain, and liburing for the io_uring offload executor (binding.gyp links it when the header exists).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ liburing-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund --ignore-scripts
COPY binding.gyp tsconfig.json ./
COPY native native
COPY include include
COPY src src
COPY bin bin
COPY scripts scripts
COPY examples examples
# The prebuild (prebuilds/linux-<arch>/) is what node-gyp-build loads when there is no build/ directory.
RUN npm run build:ts && npm run prebuildify && npm prune --omit=dev --ignore-scripts
ARG MODULE=examples/accept-loop.wat
COPY ${MODULE} /tmp/module-input
RUN node scripts/module-to-wasm.js /tmp/module-input /module/app.wasm

FROM ${NODE_IMAGE} AS runtime
# liburing2 is the shared library the prebuild links (no headers, no compiler).
RUN apt-get update \
 && apt-get install -y --no-install-recommends liburing2 \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /opt/wasmx
COPY --from=build /src/package.json package.json
COPY --from=build /src/bin bin
COPY --from=build /src/dist dist
COPY --from=build /src/prebuilds prebuilds
COPY --from=build /src/node_modules node_modules
COPY --from=build /module /module
RUN ln -s /opt/wasmx/bin/wasmx.js /usr/local/bin/wasmx
# Numeric, so that Kubernetes' runAsNonRoot can verify it (uid 1000 is the image's `node` user).
USER 1000:1000
# 8080: the application (--tcplisten); 9090: --admin (/healthz, /readyz, /metrics).
EXPOSE 8080 9090
# The container engine's stop signal; serve drains on it (readyz 503, in-flight connections finish, exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["wasmx", "serve"]
CMD ["--tcplisten", "0.0.0.0:8080", "--admin", "0.0.0.0:9090", "--grace", "20", "/module/app.wasm"]
