#!/usr/bin/env bash
# Benchmarks the chain indexer: generates 100,000 token Transfers into the treasury on a private
# Ganache (BatchSettler transactions of 100 EIP-3009 items), has the service, started in-process
# against an embedded PostgreSQL, index that block range, and prints events per second and the
# ratio to the bare eth_getLogs calls over the same range, measured in the same run. Builds the
# settlement module's test classes (and the modules it needs) first when they are missing or
# older than the sources. Stops everything it starts, also when interrupted.
#
#   scripts/bench-indexer.sh [--transfers=100000] [--items-per-tx=100] [--signers=2] [--payers=10]
#       [--generate-timeout=PT60M] [--index-timeout=PT30M] [--stall-timeout=PT5M] [--followup-timeout=PT15M]
#       [--rpc-timeout=PT5S]              the service's purser.chain.rpc-timeout (its default when absent)
#       [--fallback-rpc-timeout=PT2M|none] index again with this timeout when the first indexing stalls
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
purser_select_jdk
purser_require_node

top=$PWD
bench_class=settlement/target/test-classes/dev/purser/settlement/bench/IndexerBenchmark.class
classpath_file=$top/settlement/target/bench-indexer.classpath

if [ ! -f "$bench_class" ] || [ ! -f "$classpath_file" ] \
    || [ -n "$(find settlement/src wallet/src contracts/src settlement/pom.xml wallet/pom.xml contracts/pom.xml \
        contracts/package-lock.json pom.xml -newer "$bench_class" -print -quit)" ]; then
  echo "Building the settlement module's test classes..." >&2
  # With -am the reactor runs build-classpath in every module; settlement comes last and its
  # classpath (with the contracts' and wallet's test classes) is the one left in the file.
  ./mvnw -B -q -pl settlement -am test-compile dependency:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$classpath_file"
fi

# The benchmark runs in its own process group (job control on), so that stopping the group also
# stops the Ganache and PostgreSQL it started, even if the JVM itself were killed without running
# its hooks.
purser_run_group "$JAVA_HOME/bin/java" \
  -cp "settlement/target/test-classes:settlement/target/classes:$(cat "$classpath_file")" \
  -Dpurser.contracts.dir="$top/contracts" \
  dev.purser.settlement.bench.IndexerBenchmark "$@"
