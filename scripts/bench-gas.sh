#!/usr/bin/env bash
# Measures the gas of EIP-3009 settlement on a private Ganache and prints a table: a lone
# transferWithAuthorization (to a payee that holds USDC, and to a fresh one) and BatchSettler
# batches of 1, 10, 50 and 100 items to one merchant. Builds the contracts module first when its
# compiled classes are missing or older than its sources. Stops everything it starts, also when
# interrupted.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
purser_select_jdk
purser_require_node

top=$PWD
bench_class=contracts/target/test-classes/dev/purser/contracts/bench/GasBenchmark.class
classpath_file=$top/contracts/target/bench-gas.classpath

if [ ! -f "$bench_class" ] || [ ! -f "$classpath_file" ] \
    || [ -n "$(find contracts/src contracts/pom.xml contracts/package-lock.json pom.xml -newer "$bench_class" -print -quit)" ]; then
  echo "Building the contracts module..." >&2
  ./mvnw -B -q -pl contracts test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi

# The benchmark runs in its own process group (job control on), so that stopping the group also
# stops the Ganache it started, even if the JVM itself were killed without running its hooks.
purser_run_group "$JAVA_HOME/bin/java" \
  -cp "contracts/target/test-classes:contracts/target/classes:$(cat "$classpath_file")" \
  -Dpurser.contracts.dir="$top/contracts" \
  dev.purser.contracts.bench.GasBenchmark "$@"
