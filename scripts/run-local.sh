#!/usr/bin/env bash
# Runs Purser locally, one command: installs the pinned Node tools, starts Ganache on
# 127.0.0.1:8545 (unless PURSER_RPC_URL is set), builds Purser if its sources changed, and starts
# it with the local profile (embedded PostgreSQL in PURSER_DATA_DIR). The service deploys TestUSDC
# and BatchSettler when their addresses are not configured, gives the relayer ETH and mints TestUSDC
# to the treasury. Ctrl-C stops everything this script started. Honours every PURSER_* variable.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/lib.sh
purser_select_jdk
purser_require_node

export PURSER_PROFILE=${PURSER_PROFILE:-local}
export PURSER_PORT=${PURSER_PORT:-8080}
export PURSER_DATA_DIR=${PURSER_DATA_DIR:-$ROOT/.purser}
mkdir -p "$PURSER_DATA_DIR"
PURSER_DATA_DIR=$(cd "$PURSER_DATA_DIR" && pwd)
START_TIMEOUT_S=${PURSER_START_TIMEOUT_S:-180}

pids=()
cleanup() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
}
trap cleanup INT TERM EXIT

echo "== installing the pinned Node tools (solc, Ganache)"
node contracts/tools/ensure-deps.js

rpc_answers() {
  curl -fsS -m 2 -H 'content-type: application/json' \
    --data '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$1" >/dev/null 2>&1
}

if [ -z "${PURSER_RPC_URL:-}" ]; then
  export PURSER_RPC_URL=http://127.0.0.1:8545
  if rpc_answers "$PURSER_RPC_URL"; then
    echo "Something already answers on $PURSER_RPC_URL. Stop it, or set PURSER_RPC_URL to use it." >&2
    exit 1
  fi
  echo "== starting Ganache on $PURSER_RPC_URL (chain 1337, state kept in $PURSER_DATA_DIR/ganache)"
  mkdir -p "$PURSER_DATA_DIR/ganache"
  node contracts/node_modules/ganache/dist/node/cli.js \
    --chain.chainId 1337 --chain.hardfork shanghai --wallet.deterministic \
    --miner.blockGasLimit 30000000 --server.host 127.0.0.1 --server.port 8545 \
    --database.dbPath "$PURSER_DATA_DIR/ganache" --logging.quiet \
    >"$PURSER_DATA_DIR/ganache.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 60); do rpc_answers "$PURSER_RPC_URL" && break; sleep 0.5; done
  rpc_answers "$PURSER_RPC_URL" || { echo "Ganache did not start; see $PURSER_DATA_DIR/ganache.log" >&2; exit 1; }
else
  echo "== using the chain at $PURSER_RPC_URL (no Ganache started)"
fi

JAR=$(ls settlement/target/purser-settlement-*.jar 2>/dev/null | grep -v -- '-plain' | head -n 1 || true)
if [ -z "$JAR" ] || [ -n "$(find pom.xml contracts/pom.xml contracts/src contracts/package-lock.json wallet/pom.xml wallet/src/main settlement/pom.xml settlement/src/main -newer "$JAR" -print -quit)" ]; then
  echo "== building Purser (tests are run by scripts/test.sh)"
  ./mvnw -B -q -DskipTests install
  JAR=$(ls settlement/target/purser-settlement-*.jar | grep -v -- '-plain' | head -n 1)
fi

echo "== starting Purser on port $PURSER_PORT (data in $PURSER_DATA_DIR)"
"$JAVA_HOME/bin/java" -XX:+ExitOnOutOfMemoryError -jar "$JAR" &
app=$!
pids+=("$app")

URL="http://127.0.0.1:$PURSER_PORT"
ready=""
for _ in $(seq 1 "$START_TIMEOUT_S"); do
  if ! kill -0 "$app" 2>/dev/null; then
    echo "Purser exited during start; see its output above." >&2
    exit 1
  fi
  health=$(curl -fsS -m 2 "$URL/actuator/health" 2>/dev/null || true)
  if [ -n "$health" ] && printf '%s' "$health" | node -e '
      let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
        const h = JSON.parse(s), c = h.components && h.components.chain;
        process.exit(h.status === "UP" && c && c.status === "UP" && c.details.batch_settler ? 0 : 1);
      })'; then
    ready=yes
    break
  fi
  sleep 1
done
if [ -z "$ready" ]; then
  echo "Purser did not become healthy with its contracts deployed within ${START_TIMEOUT_S}s." >&2
  exit 1
fi

secret=${PURSER_BOOTSTRAP_ADMIN_SECRET:-}
if [ -z "$secret" ] && [ -f "$PURSER_DATA_DIR/admin-secret" ]; then
  secret=$(cat "$PURSER_DATA_DIR/admin-secret")
fi
cat <<MSG

  Purser is running at $URL
  health:       $URL/actuator/health
  admin secret: ${secret:-"(printed on the first start; set PURSER_BOOTSTRAP_ADMIN_SECRET to choose one)"}
  chain:        $PURSER_RPC_URL
  data:         $PURSER_DATA_DIR

  Ctrl-C stops everything this script started.

MSG
wait "$app"
