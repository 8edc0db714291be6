#!/usr/bin/env bash
# Benchmarks the wallet module and prints the figures: EIP-3009 signatures per second on one
# thread, and transactions per second through the relayer's sender on a private Ganache that the
# benchmark starts and stops itself. Builds the wallet's test classes first when they are missing
# or older than its sources. Stops everything it starts, also when interrupted.
#
#   scripts/bench-wallet.sh [--sign-seconds=5] [--sends=1000]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
purser_select_jdk

top=$PWD
bench_class=wallet/target/test-classes/dev/purser/wallet/bench/WalletBenchmark.class
classpath_file=$top/wallet/target/bench-wallet.classpath

if [ ! -f "$bench_class" ] || [ ! -f "$classpath_file" ] \
    || [ -n "$(find wallet/src wallet/pom.xml pom.xml -newer "$bench_class" -print -quit)" ]; then
  echo "Building the wallet module's test classes..." >&2
  ./mvnw -B -q -pl wallet -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi

# The benchmark runs in its own process group (job control on), so that stopping the group also
# stops the Ganache it started, even if the JVM itself were killed without running its hooks.
purser_run_group "$JAVA_HOME/bin/java" \
  -cp "wallet/target/test-classes:wallet/target/classes:$(cat "$classpath_file")" \
  -Dpurser.contracts.dir="$top/contracts" \
  -Dlogback.configurationFile="$top/wallet/target/test-classes/logback-test.xml" \
  dev.purser.wallet.bench.WalletBenchmark "$@"
