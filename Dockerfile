# token-engine: gRPC on 9090, HTTP (health, JWKS, metrics) on 8080.
# Configure with TOKEN_ENGINE_* environment variables (see doc/CONFIGURATION.md).

# ---- deps: production node_modules. pkcs11js (the PKCS#11 signer) is a native addon that
# node-gyp compiles at install, against the Node headers this image ships. ----
FROM node:24-bookworm-slim AS deps
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- build: compile src/ to dist/ ----
FROM deps AS build
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json tsconfig.client.json ./
COPY proto ./proto
COPY src ./src
COPY client ./client
COPY examples ./examples
RUN npm run build

# ---- runtime: production dependencies, dist/ and proto/ only ----
FROM node:24-bookworm-slim AS runtime
# The version comes from package.json (make image passes it); unset, the label is empty.
ARG VERSION
LABEL org.opencontainers.image.title="token-engine" \
      org.opencontainers.image.description="Stateful JWT token management over gRPC: issue, refresh with rotation, revoke; JWKS, health and metrics over HTTP." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# A PKCS#11 signer needs the HSM vendor's library in the image too (doc/OPERATIONS.md,
# "Keys in an HSM"): add it in an image built FROM this one.
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The service loads the .proto files at run time (src/grpc/proto.ts).
COPY proto ./proto
USER node
EXPOSE 9090 8080
# Liveness on the HTTP address the service is configured with (TOKEN_ENGINE_HTTP_ADDR).
HEALTHCHECK --interval=10s --timeout=3s --start-period=40s --retries=3 \
  CMD ["node", "dist/healthcheck.js"]
# instrument.js starts tracing before anything else loads (main.js also imports it first).
CMD ["node", "--import", "./dist/instrument.js", "dist/main.js"]
