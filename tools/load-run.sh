#!/usr/bin/env bash
# The overload run of docs/operations.md: the four services as separate processes with the heaps
# the manifests give them (their heap share of each memory limit), then `glimpse bench load` against the gateway.
# Prints each service's resident memory before and after. Usage: tools/load-run.sh [bench load flags]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$HERE/glimpse" --version >/dev/null
JAR="$HERE/app/target/glimpse.jar"
export DJL_OFFLINE=true GLIMPSE_HOME="$HERE"
LOG="$(mktemp -d)"
declare -A HEAP=([tokenizer]=1228m [pruner]=922m [runner]=2g [gateway]=717m)
declare -A PORT=([tokenizer]=50152 [pruner]=50153 [runner]=50154 [gateway]=50151)
PIDS=()
cleanup() { kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT
for s in tokenizer pruner runner gateway; do
  java -Xmx${HEAP[$s]} -XX:+ExitOnOutOfMemoryError --add-modules=jdk.incubator.vector -jar "$JAR" serve $s --port ${PORT[$s]} --device cpu \
    --tokenizer-target 127.0.0.1:${PORT[tokenizer]} --pruner-target 127.0.0.1:${PORT[pruner]} \
    --runner-target 127.0.0.1:${PORT[runner]} >"$LOG/$s.log" 2>&1 &
  PIDS+=($!)
done
rss() { for i in 0 1 2 3; do s=(tokenizer pruner runner gateway); printf '%s %s MiB %s threads; ' "${s[$i]}" \
  $(( $(awk '/VmRSS/{print $2}' /proc/${PIDS[$i]}/status) / 1024 )) $(awk '/Threads/{print $2}' /proc/${PIDS[$i]}/status); done; echo; }
for i in $(seq 1 120); do grep -q "up on" "$LOG/gateway.log" && grep -q "up on" "$LOG/runner.log" \
  && grep -q "up on" "$LOG/tokenizer.log" && grep -q "up on" "$LOG/pruner.log" && break; sleep 0.5; done
sleep 1
echo "resident memory before: $(rss)"
java -jar "$JAR" bench load --target 127.0.0.1:${PORT[gateway]} "$@"
echo "resident memory after:  $(rss)"
names=(tokenizer pruner runner gateway)
for i in 0 1 2 3; do
  kill -0 "${PIDS[$i]}" 2>/dev/null && echo "${names[$i]}: up" || { echo "${names[$i]} died:"; tail -20 "$LOG/${names[$i]}.log"; }
done
