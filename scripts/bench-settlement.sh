#!/usr/bin/env bash
# Measures what settlement costs on-chain and how long it takes, on a private Ganache with an
# embedded PostgreSQL and a real Purser (a child JVM per shape), and prints a table: gas per settled
# authorization from the batch transactions' receipts, and settle-to-confirmed latency p50/p95, for
# one transferWithAuthorization per transaction, BatchSettler batches of 10, 50 and 100, and
# aggregated settlements of 100 authorizations. Builds the settlement module's test classes first
# when they are missing or older than the sources. Takes 3 to 6 minutes. Stops everything it
# starts, also when interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
purser_select_jdk
purser_require_node

top=$PWD
bench_class=settlement/target/test-classes/dev/purser/settlement/bench/SettlementBenchmark.class
classpath_file=$top/settlement/target/bench-settlement.classpath

if [ ! -f "$bench_class" ] || [ ! -f "$classpath_file" ] \
    || [ -n "$(find settlement/src wallet/src contracts/src settlement/pom.xml pom.xml -newer "$bench_class" -print -quit)" ]; then
  echo "Building the settlement module and what it depends on..." >&2
  ./mvnw -B -q -pl settlement -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi

# The benchmark runs in its own process group (job control on), so that stopping the group also
# stops the Ganache, PostgreSQL and Purser children it started, even if its JVM were killed
# without running its hooks. It works inside settlement/ so its data lands in settlement/target.
purser_run_group env -C settlement "$JAVA_HOME/bin/java" \
  -cp "$top/settlement/target/test-classes:$top/settlement/target/classes:$(cat "$classpath_file")" \
  -Dpurser.contracts.dir="$top/contracts" \
  dev.purser.settlement.bench.SettlementBenchmark "$@"
