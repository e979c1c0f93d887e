#!/usr/bin/env bash
# Builds the image and proves it: starts it with the memory store on a read-only root
# filesystem (a tmpfs on /tmp), then checks liveness and readiness, the JWKS, a token
# issued over gRPC with the bundled CLI, the non-root user, that the root filesystem is
# read-only, and a clean stop (exit code 0). Uses docker or podman, whichever answers;
# with neither it says so and exits 0 (CI prints that line).
# Usage: scripts/image-smoke.sh   (make image-smoke builds dist/ first for the CLI)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

engine=""
for candidate in docker podman; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" info >/dev/null 2>&1; then
    engine="$candidate"
    break
  fi
done
if [ -z "$engine" ]; then
  echo "image-smoke: no container engine answers (docker or podman); image not built or run here"
  exit 0
fi

version="$(node -p "require('./package.json').version")"
image="token-engine:smoke-$$"
name="token-engine-smoke-$$"
api_key="smoke-key-$RANDOM$RANDOM"
cleanup() {
  "$engine" rm -f "$name" >/dev/null 2>&1 || true
  "$engine" rmi -f "$image" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() {
  echo "image-smoke: FAILED: $*" >&2
  "$engine" logs "$name" 2>&1 | tail -n 40 >&2 || true
  exit 1
}

echo "image-smoke: building $image with $engine (version $version)"
"$engine" build --quiet --build-arg "VERSION=$version" -t "$image" . >/dev/null

# A non-default HTTP port checks that the HEALTHCHECK follows TOKEN_ENGINE_HTTP_ADDR.
"$engine" run -d --name "$name" --read-only --tmpfs /tmp \
  -p 127.0.0.1::9090 -p 127.0.0.1::8181 \
  -e TOKEN_ENGINE_STORE=memory -e TOKEN_ENGINE_TLS_MODE=disabled \
  -e TOKEN_ENGINE_ISSUER=smoke -e TOKEN_ENGINE_AUDIENCE=smoke-api \
  -e "TOKEN_ENGINE_STATIC_CALLER_KEYS=$api_key=smoke" \
  -e TOKEN_ENGINE_GRPC_ADDR=:9090 -e TOKEN_ENGINE_HTTP_ADDR=:8181 \
  "$image" >/dev/null

# GET with Node (no curl needed): prints the body, fails unless the answer is 200.
get() {
  node -e 'fetch(process.argv[1]).then(async (r) => { process.stdout.write(await r.text()); process.exit(r.status === 200 ? 0 : 1); }, () => process.exit(1))' "$1"
}
port_of() { "$engine" port "$name" "$1/tcp" | head -n 1 | sed 's/.*://'; }
grpc_port="$(port_of 9090)"
http_port="$(port_of 8181)"
http="http://127.0.0.1:$http_port"

for _ in $(seq 1 60); do
  if get "$http/healthz/ready" >/dev/null 2>&1; then break; fi
  sleep 1
done
get "$http/healthz/live" >/dev/null || fail "liveness"
get "$http/healthz/ready" >/dev/null || fail "readiness"
get "$http/.well-known/jwks.json" | grep -q '"kid"' || fail "JWKS has no key"
"$engine" exec "$name" node dist/healthcheck.js || fail "HEALTHCHECK command (dist/healthcheck.js) failed"

TOKEN_ENGINE_CLI_API_KEY="$api_key" node dist/client/client/cli.js --address "127.0.0.1:$grpc_port" --json \
  issue --sub smoke-user --tenant smoke | grep -q '"accessToken"' || fail "IssueToken over gRPC"

uid="$("$engine" exec "$name" id -u)"
[ "$uid" != "0" ] || fail "runs as root"
if "$engine" exec "$name" sh -c 'touch /app/written' >/dev/null 2>&1; then fail "root filesystem is writable"; fi
"$engine" exec "$name" sh -c 'touch /tmp/written' || fail "/tmp is not writable"

"$engine" stop -t 30 "$name" >/dev/null
code="$("$engine" inspect -f '{{.State.ExitCode}}' "$name")"
[ "$code" = "0" ] || fail "stopped with exit code $code"
echo "image-smoke: ok ($engine): health, readiness, JWKS, IssueToken, uid $uid, read-only root, clean stop"
