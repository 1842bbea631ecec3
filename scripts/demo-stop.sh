#!/usr/bin/env bash
# `make stop`: stop the processes `make demo` left running (SIGTERM: the predictor flushes events).
cd "$(dirname "$0")/.." || exit 1
RUN=${HOUSING_ARTIFACTS:-artifacts}/run
for name in predictor dashboard; do
  pidfile=$RUN/$name.pid
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 1 45); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    echo "stopped $name ($pid)"
  fi
  rm -f "$pidfile"
done
