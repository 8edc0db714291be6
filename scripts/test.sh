#!/usr/bin/env bash
# Runs every test of every module: contracts on Ganache, the wallet, and the service against an
# embedded PostgreSQL and Ganache processes the tests start and stop themselves. No Docker needed.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
purser_select_jdk
purser_require_node
exec ./mvnw -B verify "$@"
