#!/usr/bin/env bash
# Replays Dockerfile.mcp-only outside Docker (CI has no engine): the build stage's RUN steps in a
# scratch copy of what the image COPYs, then the runtime stage's files only, started as the CMD,
# probed with the HEALTHCHECK command, and stopped with the STOPSIGNAL (it must exit 0).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
node="$root/node_modules/.bin/node"   # Node 24, as in the image
dockerfile="$root/Dockerfile.mcp-only"
work=$(mktemp -d)
pid=""
api_pid=""
cleanup() {
  [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
  [ -n "$api_pid" ] && kill -KILL "$api_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "== build stage (RUN steps of $dockerfile)"
mkdir "$work/build" && cd "$work/build"
cp "$root"/package.json "$root"/package-lock.json "$root"/tsconfig.json "$root"/tsconfig.build.json .
run_steps=$(awk '/^FROM .* AS runtime/ { exit } /^RUN / { sub(/^RUN /, ""); print }' "$dockerfile")
first=$(echo "$run_steps" | sed -n 1p)
rest=$(echo "$run_steps" | sed -n '2,$p')
echo "+ $first"; PATH="$root/node_modules/.bin:$PATH" bash -c "$first"
cp -r "$root/src" ./src
echo "+ $rest"; PATH="$root/node_modules/.bin:$PATH" bash -c "$rest"

echo "== runtime stage (package.json, node_modules, dist only)"
mkdir "$work/runtime"
cp -r package.json node_modules dist "$work/runtime/"
cd "$work/runtime"
[ -d node_modules/typescript ] && { echo "dev dependencies were not pruned"; exit 1; }
free_port() { "$node" -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})"; }
# The image refuses to run without a Go API (NODE_ENV=production): the embedded API from this
# checkout stands in for it, as a separate process on loopback.
api_port=$(free_port)
jwt_secret=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
tenant_secret=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
"$node" "$root/src/backend/cli.ts" --port "$api_port" --jwt-secret "$jwt_secret" \
  --tenant-secret "$tenant_secret" > "$work/api.log" 2>&1 &
api_pid=$!
port=$(free_port)
NODE_ENV=production TOOLBRIDGE_HOST=127.0.0.1 TOOLBRIDGE_PORT=$port TOOLBRIDGE_LOG_LEVEL=WARNING \
  TOOLBRIDGE_GO_API_BASE_URL="http://127.0.0.1:$api_port" TOOLBRIDGE_TENANT_ID=image-check \
  TOOLBRIDGE_TENANT_HEADER_SECRET="$tenant_secret" TOOLBRIDGE_JWT_SECRET="$jwt_secret" \
  "$node" dist/main.js > "$work/gateway.log" 2>&1 &
pid=$!

echo "== HEALTHCHECK"
healthcheck=$(grep -o 'fetch(`[^"]*' "$dockerfile")
for _ in $(seq 1 50); do
  if TOOLBRIDGE_PORT=$port "$node" -e "$healthcheck"; then ok=1; break; fi
  sleep 0.2
done
[ "${ok:-}" = 1 ] || { cat "$work/gateway.log"; echo "healthcheck never passed"; exit 1; }
echo "healthy on port $port"
ready=$(TOOLBRIDGE_PORT=$port "$node" -e 'fetch(`http://127.0.0.1:${process.env.TOOLBRIDGE_PORT}/readyz`).then((r) => console.log(r.status))')
[ "$ready" = 200 ] || { cat "$work/gateway.log" "$work/api.log"; echo "readyz answered $ready"; exit 1; }
echo "ready: the API answers"

echo "== STOPSIGNAL SIGTERM"
kill -TERM "$pid"
status=0; wait "$pid" || status=$?
pid=""
[ "$status" = 0 ] || { cat "$work/gateway.log"; echo "exit status $status after SIGTERM"; exit 1; }
kill -TERM "$api_pid"; wait "$api_pid" 2>/dev/null || true; api_pid=""
echo "image steps OK"
