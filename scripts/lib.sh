# Shared by the scripts: select a JDK that can build Purser (21 or newer).
# shellcheck shell=bash

purser_select_jdk() {
  local v
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    v=$("$JAVA_HOME/bin/java" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
    if [ "${v%%.*}" -ge 21 ] 2>/dev/null; then return 0; fi
  fi
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64 /usr/lib/jvm/java-21-openjdk-amd64; do
    if [ -x "$candidate/bin/java" ]; then
      export JAVA_HOME="$candidate"
      return 0
    fi
  done
  if command -v java >/dev/null 2>&1; then
    v=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')
    if [ "${v%%.*}" -ge 21 ] 2>/dev/null; then
      JAVA_HOME=$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.home/ {print $2}')
      export JAVA_HOME
      return 0
    fi
  fi
  echo "Purser needs a JDK 21 or newer: set JAVA_HOME to one." >&2
  return 1
}

purser_require_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Purser needs Node.js 20+ and npm (for the pinned solc and Ganache)." >&2
    return 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    echo "Purser needs Node.js 20 or newer; found $(node --version)." >&2
    return 1
  fi
}

# Runs a command in its own process group and waits for it; on exit, Ctrl-C or TERM the whole
# group is stopped (TERM, then KILL after 10 s), so whatever it started (a Ganache) stops too.
purser_run_group() {
  set -m
  "$@" &
  purser_group_pid=$!
  set +m
  trap purser_stop_group EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  wait "$purser_group_pid"
}

purser_stop_group() {
  if kill -0 -- "-$purser_group_pid" 2>/dev/null; then
    kill -TERM -- "-$purser_group_pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
      kill -0 -- "-$purser_group_pid" 2>/dev/null || return 0
      sleep 0.5
    done
    kill -KILL -- "-$purser_group_pid" 2>/dev/null || true
  fi
}
