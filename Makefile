SHELL := /bin/bash
.DEFAULT_GOAL := help

# Node >= 22.15 first on PATH for every recipe. `:=` runs the script once per make call;
# it prints nothing when the system Node is already new enough.
NODE_BIN := $(shell ./scripts/ensure-node.sh)
ifneq ($(.SHELLSTATUS),0)
$(error scripts/ensure-node.sh failed: Node >= 22.15 is required)
endif
export PATH := $(if $(NODE_BIN),$(NODE_BIN):)$(PATH)
# Native addons (pkcs11js) are compiled by node-gyp during `npm ci`. It must build against
# the headers of the Node that runs them, and there is no network to fetch headers from:
# the Node that ensure-node.sh installs ships its own, so point node-gyp there.
ifneq ($(wildcard $(NODE_BIN)/../include/node/common.gypi),)
export npm_config_nodedir := $(abspath $(NODE_BIN)/..)
endif

# Development defaults for `make run`; each can be overridden from the environment or the
# make command line (make run TOKEN_ENGINE_GRPC_ADDR=127.0.0.1:9191).
DEV_API_KEY ?= dev-local-key
TOKEN_ENGINE_STORE ?= memory
TOKEN_ENGINE_TLS_MODE ?= disabled
TOKEN_ENGINE_ISSUER ?= local-dev
TOKEN_ENGINE_AUDIENCE ?= local-api
TOKEN_ENGINE_STATIC_CALLER_KEYS ?= $(DEV_API_KEY)=local-client
TOKEN_ENGINE_GRPC_ADDR ?= 127.0.0.1:9090
TOKEN_ENGINE_HTTP_ADDR ?= 127.0.0.1:8080

# npm rewrites its hidden lockfile on every install, so it marks when node_modules was
# last brought in line with package.json and package-lock.json.
INSTALLED := node_modules/.package-lock.json

.PHONY: help node_modules build run check format test bench bench-signer capacity soak migrate-scale proto-gen docs typecheck image-smoke clean

help: ## List the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

node_modules: $(INSTALLED) ## Install dependencies when package.json or the lockfile changed

$(INSTALLED): package.json $(wildcard package-lock.json)
	if [ -f package-lock.json ]; then npm ci; else npm install; fi
	@touch $@

build: node_modules ## Compile src/ to dist/
	npm run build

run: build ## Start the service locally (memory store, no TLS, dev API key)
	@echo "token-engine (development): gRPC $(TOKEN_ENGINE_GRPC_ADDR), HTTP $(TOKEN_ENGINE_HTTP_ADDR)"
	@echo "dev API key: $(DEV_API_KEY)"
	@echo "try: grpcurl -plaintext -H 'x-api-key: $(DEV_API_KEY)' -d '{\"sub\":\"alice\",\"tenant_id\":\"$(TOKEN_ENGINE_ISSUER)\"}' $(TOKEN_ENGINE_GRPC_ADDR) token.v1.TokenEngine/IssueToken"
	TOKEN_ENGINE_STORE='$(TOKEN_ENGINE_STORE)' \
	TOKEN_ENGINE_TLS_MODE='$(TOKEN_ENGINE_TLS_MODE)' \
	TOKEN_ENGINE_ISSUER='$(TOKEN_ENGINE_ISSUER)' \
	TOKEN_ENGINE_AUDIENCE='$(TOKEN_ENGINE_AUDIENCE)' \
	TOKEN_ENGINE_STATIC_CALLER_KEYS='$(TOKEN_ENGINE_STATIC_CALLER_KEYS)' \
	TOKEN_ENGINE_GRPC_ADDR='$(TOKEN_ENGINE_GRPC_ADDR)' \
	TOKEN_ENGINE_HTTP_ADDR='$(TOKEN_ENGINE_HTTP_ADDR)' \
	node dist/main.js

check: node_modules ## Lint, format check and type-check (src, client, examples, test, bench)
	npm run check

format: node_modules ## Rewrite files in the house format and apply safe lint fixes
	npm run format

# Clean code is checked, not hoped for: `make test` fails on a lint, format or type error.
# The e2e tests spawn dist/main.js, so the build comes before the tests.
test: check ## Check, build, then run every test project
	npm run build
	npm test

# Benchmarks drive the built service against a real Redis (REDIS_URL, else a throwaway
# redis-server, installed with apt when missing). Never part of `make test`. The bench is
# TypeScript, compiled with the src/ it imports into dist/bench/ (tsconfig.bench.json).
bench: build ## Benchmark every RPC against its ceilings (prints tables; see doc/PERFORMANCE.md)
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	npm run build:bench
	node dist/bench/bench/run.js

# The PKCS#11 signer against SoftHSM2 (a throwaway token) next to the sealed-key signer.
bench-signer: build ## IssueToken with the PKCS#11 signer (SoftHSM2) vs the sealed-key signer, as ratios
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	@command -v softhsm2-util >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2; }
	npm run build:bench
	node dist/bench/bench/signer.js

# The figures of doc/CAPACITY.md: single-shard ceilings of the Lua scripts, Redis and
# service CPU per RPC, bytes per record. About 1.5 minutes; CAPACITY_SECONDS per run.
capacity: build ## Single-shard Redis ceilings, Redis CPU per RPC, bytes per record (see doc/CAPACITY.md)
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	npm run build:bench
	node dist/bench/bench/capacity.js

soak: build ## Mixed workload for SOAK_SECONDS (default 300); reports RSS and Redis memory over time
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; }
	npm run build:bench
	node dist/bench/bench/soak.js $${SOAK_SECONDS:-300}

# make test migrates 10 000 Go tokens (test/e2e/migrate-from-go-scale.test.ts); this runs the
# same test with 100 000 (about 2 minutes on 2 busy cores) and prints the rate and peak RSS.
migrate-scale: build ## migrate-from-go with 100 000 Go tokens: rate (tokens/s) and peak RSS
	MIGRATE_GO_TOKENS=100000 npx vitest run --project e2e test/e2e/migrate-from-go-scale.test.ts

proto-gen: node_modules ## Regenerate src/generated from proto/
	npm run proto-gen

# scripts/docs.mjs renders from dist/, so the build comes first.
docs: build ## Regenerate the generated sections of doc/ from the code
	node scripts/docs.mjs

typecheck: node_modules ## Type-check src, client, examples, test and bench
	npm run typecheck

image-smoke: build ## Build the container image and prove it (health, JWKS, a token, non-root, read-only root, clean stop)
	./scripts/image-smoke.sh

clean: ## Remove build output
	rm -rf dist
