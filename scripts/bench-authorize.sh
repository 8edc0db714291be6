#!/usr/bin/env bash
# Measures pre-authorization throughput of a running Purser and compares it with what its own
# PostgreSQL does for the same minimal SQL.
#
#  1. The load generator (settlement/src/test/java/dev/purser/settlement/bench/AuthorizeBenchmark)
#     creates agents and credentials over HTTP, funds the agents by minting TestUSDC on the local
#     chain, then pre-authorizes with BENCH_CLIENTS concurrent clients for BENCH_DURATION_S seconds
#     in two shapes: A, 1,000 credentials over 100 agents; B, one hot credential.
#  2. pgbench runs the equivalent minimal transaction on the service's PostgreSQL (one conditional
#     budget UPDATE and one INSERT, in a scratch schema it creates and drops) in the same two shapes
#     (1,000 budget rows, one hot row), with the same number of clients and duration.
#  3. It prints both and the ratio service/pgbench.
#
# Needs a running Purser (scripts/run-local.sh) whose embedded PostgreSQL lives in PURSER_DATA_DIR.
# Environment: PURSER_URL (http://127.0.0.1:8080), PURSER_ADMIN_SECRET (else $PURSER_DATA_DIR/admin-secret),
# PURSER_DATA_DIR (./.purser), PURSER_RPC_URL (http://127.0.0.1:8545), BENCH_DURATION_S (20, at most 300),
# BENCH_CLIENTS (32, at most 150), BENCH_CREDENTIALS (1000), BENCH_AGENTS (100),
# BENCH_PG_PORT (read from $PURSER_DATA_DIR/postgres/postmaster.pid), BENCH_PG_HOST (127.0.0.1).
# The service keeps the agents, credentials and holds it made (they expire after 15 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
purser_select_jdk

top=$PWD
export PURSER_URL=${PURSER_URL:-http://127.0.0.1:8080}
export PURSER_DATA_DIR=${PURSER_DATA_DIR:-$top/.purser}
export PURSER_RPC_URL=${PURSER_RPC_URL:-http://127.0.0.1:8545}
export BENCH_DURATION_S=${BENCH_DURATION_S:-20}
export BENCH_CLIENTS=${BENCH_CLIENTS:-32}
export BENCH_CREDENTIALS=${BENCH_CREDENTIALS:-1000}
export BENCH_AGENTS=${BENCH_AGENTS:-100}

within() { # name value min max
  if ! [[ "$2" =~ ^[0-9]+$ ]] || [ "$2" -lt "$3" ] || [ "$2" -gt "$4" ]; then
    echo "$1 must be a whole number between $3 and $4 (got '$2')" >&2
    exit 2
  fi
}
within BENCH_DURATION_S "$BENCH_DURATION_S" 1 300
within BENCH_CLIENTS "$BENCH_CLIENTS" 1 150
within BENCH_CREDENTIALS "$BENCH_CREDENTIALS" 1 5000
within BENCH_AGENTS "$BENCH_AGENTS" 1 "$BENCH_CREDENTIALS"

if ! curl -fsS -m 5 "$PURSER_URL/actuator/health" 2>/dev/null | grep -q '"batch_settler"'; then
  echo "No healthy Purser with its contracts at $PURSER_URL: start it with scripts/run-local.sh first." >&2
  exit 1
fi

# PostgreSQL: the service's embedded one, found through its pid file (line 4 is the port).
pg_host=${BENCH_PG_HOST:-127.0.0.1}
pg_port=${BENCH_PG_PORT:-}
if [ -z "$pg_port" ]; then
  pid_file=$PURSER_DATA_DIR/postgres/postmaster.pid
  [ -f "$pid_file" ] || { echo "No $pid_file: set PURSER_DATA_DIR to the service's, or BENCH_PG_PORT." >&2; exit 1; }
  pg_port=$(sed -n 4p "$pid_file")
fi
within BENCH_PG_PORT "$pg_port" 1 65535

pgbench_works() { pgbench --version >/dev/null 2>&1; }
if ! pgbench_works; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== installing pgbench" >&2
    # PostgreSQL 16+ packages ship pgbench in postgresql-client-NN; Debian 12 (PostgreSQL 15) ships
    # it with the server package, which postgresql-contrib pulls in.
    apt-get install -y -q postgresql-client >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q postgresql-client >/dev/null; } || true
    pgbench_works || apt-get install -y -q postgresql-contrib >/dev/null || true
  fi
  pgbench_works || { echo "pgbench is missing: install postgresql-client (or postgresql-contrib on Debian 12)." >&2; exit 1; }
fi

# The load generator runs from the settlement module's test classpath (like scripts/bench-gas.sh).
bench_class=settlement/target/test-classes/dev/purser/settlement/bench/AuthorizeBenchmark.class
classpath_file=$top/settlement/target/bench-authorize.classpath
if [ ! -f "$bench_class" ] || [ ! -f "$classpath_file" ] \
    || [ -n "$(find settlement/src/test/java/dev/purser/settlement/bench settlement/pom.xml -newer "$bench_class" -print -quit)" ]; then
  echo "== building the load generator (settlement test classes)" >&2
  mvn_args=(-B -q -pl settlement -am test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file")
  ./mvnw -o "${mvn_args[@]}" || ./mvnw "${mvn_args[@]}"
fi

work=$(mktemp -d)
scratch=purser_bench_scratch
psql_run() { PGOPTIONS='-c client_min_messages=warning' psql -h "$pg_host" -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q -X "$@"; }
cleanup() {
  psql_run -c "DROP SCHEMA IF EXISTS $scratch CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

echo "== service: POST /v1/authorizations, $BENCH_CLIENTS clients, $BENCH_DURATION_S s per scenario"
# The JVM is bounded too: setup + warm-up + two runs, with room to spare.
timeout $((BENCH_DURATION_S * 2 + 900)) "$JAVA_HOME/bin/java" -Xmx1g \
  -Dlogback.statusListenerClass=ch.qos.logback.core.status.NopStatusListener \
  -cp "settlement/target/test-classes:settlement/target/classes:$(cat "$classpath_file")" \
  dev.purser.settlement.bench.AuthorizeBenchmark | tee "$work/service.out"

result() { # scenario field
  awk -v s="scenario=$1" -v f="$2" '$1 == "RESULT" && $2 == s { for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' "$work/service.out"
}

echo
echo "== pgbench on the same PostgreSQL (127.0.0.1:$pg_port): the equivalent minimal SQL per transaction"
psql_run <<SQL
DROP SCHEMA IF EXISTS $scratch CASCADE;
CREATE SCHEMA $scratch;
-- Like daily_spend: a budget row per credential, taken by a conditional UPDATE.
CREATE TABLE $scratch.budget (
    id              integer PRIMARY KEY,
    held_micros     bigint  NOT NULL DEFAULT 0 CHECK (held_micros >= 0),
    settled_micros  bigint  NOT NULL DEFAULT 0 CHECK (settled_micros >= 0),
    limit_micros    bigint  NOT NULL
);
INSERT INTO $scratch.budget (id, limit_micros) SELECT g, 1000000000000000 FROM generate_series(1, 1000) g;
-- Like authorizations: one row per hold.
CREATE TABLE $scratch.holds (
    id              bigserial   PRIMARY KEY,
    budget_id       integer     NOT NULL,
    amount_micros   bigint      NOT NULL CHECK (amount_micros > 0),
    created_at      timestamptz NOT NULL
);
SQL

# A and B are the two shapes; L is A plus one transaction-scoped advisory lock taken last and held
# to commit, the way the service appends every ledger change to its hash-chained audit log: it
# shows what that single lock alone costs.
for shape in A B L; do
  if [ "$shape" = B ]; then pick='\set id 1'; else pick='\set id random(1, 1000)'; fi
  if [ "$shape" = L ]; then last='SELECT pg_advisory_xact_lock(4242);'; else last=''; fi
  cat >"$work/$shape.sql" <<SQL
$pick
BEGIN;
UPDATE $scratch.budget SET held_micros = held_micros + 10000
 WHERE id = :id AND held_micros + settled_micros + 10000 <= limit_micros;
INSERT INTO $scratch.holds (budget_id, amount_micros, created_at) VALUES (:id, 10000, now());
$last
END;
SQL
  jobs=$(( BENCH_CLIENTS < 2 ? BENCH_CLIENTS : 2 ))
  mkdir -p "$work/log-$shape"
  (cd "$work/log-$shape" && timeout $((BENCH_DURATION_S + 120)) pgbench -h "$pg_host" -p "$pg_port" -U postgres -n \
      -c "$BENCH_CLIENTS" -j "$jobs" -T "$BENCH_DURATION_S" -l -f "$work/$shape.sql" postgres) >"$work/pgbench-$shape.out" 2>&1 \
    || { cat "$work/pgbench-$shape.out" >&2; exit 1; }
  # Per-transaction log: "client_id transaction_no latency_us script_no epoch us".
  cat "$work/log-$shape"/pgbench_log.* | awk '{print $3}' | sort -n >"$work/lat-$shape"
  n=$(wc -l <"$work/lat-$shape")
  pct() { sed -n "$(( (n * $1 + 99) / 100 ))p" "$work/lat-$shape" | awk '{printf "%.2f", $1 / 1000}'; }
  tps=$(awk '/^tps = / {print $3; exit}' "$work/pgbench-$shape.out")
  printf '%s %s %s %s\n' "$shape" "$tps" "$(pct 50)" "$(pct 99)" >>"$work/pgbench.results"
  case $shape in A) label="1,000 budget rows" ;; B) label="one hot row" ;; L) label="1,000 rows + one global advisory lock" ;; esac
  printf 'pgbench %s (%s): %.1f tps, p50 %s ms, p99 %s ms, %s transactions\n' "$shape" "$label" "$tps" "$(pct 50)" "$(pct 99)" "$n"
done

echo
echo "== summary ($BENCH_CLIENTS clients, $BENCH_DURATION_S s each)"
printf '%-34s %14s %9s %9s %14s %9s %9s %10s\n' "shape" "service req/s" "p50 ms" "p99 ms" "pgbench tps" "p50 ms" "p99 ms" "service/pg"
for shape in A B; do
  s_rps=$(result "$shape" rps); s_p50=$(result "$shape" p50_ms); s_p99=$(result "$shape" p99_ms)
  read -r _ p_tps p_p50 p_p99 < <(grep "^$shape " "$work/pgbench.results")
  label=$([ "$shape" = A ] && echo "A: $BENCH_CREDENTIALS credentials / 1,000 rows" || echo "B: one hot credential / row")
  ratio=$(awk -v a="${s_rps:-0}" -v b="${p_tps:-0}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }')
  printf '%-34s %14s %9s %9s %14.1f %9s %9s %10s\n' "$label" "${s_rps:-n/a}" "${s_p50:-n/a}" "${s_p99:-n/a}" "$p_tps" "$p_p50" "$p_p99" "$ratio"
done
read -r _ l_tps l_p50 l_p99 < <(grep "^L " "$work/pgbench.results")
printf '%-34s %14s %9s %9s %14.1f %9s %9s %10s\n' "(pgbench A + one advisory lock)" "" "" "" "$l_tps" "$l_p50" "$l_p99" \
  "$(awk -v a="$(result A rps)" -v b="$l_tps" 'BEGIN { if (b > 0 && a != "") printf "%.3f", a / b; else print "n/a" }')"
