#!/usr/bin/env bash
# Side-by-side benchmark: the same qemu-img bench workloads against a fresh Cairn node and
# against Linux tgt (../shared/tools/tgt-reference), plain and with --sync, in one run.
#
#   bench/compare-tgt.sh [--runs N] [--tgt-tool PATH]
#
# Workloads (issue 2): 4 KiB writes QD32 strided 1 MiB (not sequential), 4 KiB reads QD32 (same
# stride), 1 MiB writes QD8, 1 MiB reads QD8. Prints ops/s per target (median of N runs) and the
# Cairn/tgt ratios. Needs qemu-utils, qemu-block-extra, tgt; runs as root (tgtd). Every process it
# starts is stopped by its PID on exit.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=3
tgt_tool="$here/../shared/tools/tgt-reference"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2;;
    --tgt-tool) tgt_tool="$2"; shift 2;;
    *) sed -n '2,11p' "$0"; exit 2;;
  esac
done
command -v qemu-img >/dev/null || { echo "qemu-img missing: apt-get install -y qemu-utils qemu-block-extra" >&2; exit 2; }
[ -x "$tgt_tool" ] || { echo "tgt-reference tool not found at $tgt_tool (--tgt-tool PATH)" >&2; exit 2; }

work=$(mktemp -d /tmp/cairn-bench.XXXXXX)
cairn_pid=""
cleanup() {
  [ -n "$cairn_pid" ] && kill "$cairn_pid" 2>/dev/null && wait "$cairn_pid" 2>/dev/null || true
  "$tgt_tool" stop --port 3281 --dir "$work/tgt" >/dev/null 2>&1 || true
  "$tgt_tool" stop --port 3282 --dir "$work/tgt-sync" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
iscsi_port=$(free_port); mgmt_port=$(free_port); artery_port=$(free_port)

echo "starting Cairn (data in $work/cairn) ..." >&2
"$here/bin/cairn" --version >/dev/null  # builds on first use
CAIRN_NO_BUILD=1 "$here/bin/cairn" up --data-dir "$work/cairn" --iscsi-port "$iscsi_port" \
  --management-port "$mgmt_port" --artery-port "$artery_port" >"$work/cairn.log" 2>&1 &
cairn_pid=$!
for _ in $(seq 120); do
  curl -sf "http://127.0.0.1:$mgmt_port/api/vdisks/demo-disk" 2>/dev/null | grep -q '"usage"' && break
  kill -0 "$cairn_pid" 2>/dev/null || { echo "Cairn exited:" >&2; tail -20 "$work/cairn.log" >&2; exit 1; }
  sleep 0.5
done
cairn_url="iscsi://127.0.0.1:$iscsi_port/iqn.2026-11.io.cairn:demo/0"
tgt_url=$("$tgt_tool" start --port 3281 --size 4G --dir "$work/tgt" | tail -1)
tgt_sync_url=$("$tgt_tool" start --port 3282 --size 4G --sync --dir "$work/tgt-sync" | tail -1)

# workload name | qemu-img bench arguments
workloads=(
  "4K write QD32|-w -c 20000 -d 32 -s 4k -S 1M"
  "4K read QD32|-c 20000 -d 32 -s 4k -S 1M"
  "1M write QD8|-w -c 2000 -d 8 -s 1M"
  "1M read QD8|-c 2000 -d 8 -s 1M"
)

# ops/s of one run: count / seconds from "Run completed in X seconds."
ops() {
  local url="$1"; shift
  local out count secs
  out=$(qemu-img bench -f raw -t none "$@" "$url" 2>&1) || { echo "qemu-img bench failed on $url: $out" >&2; echo 0; return; }
  count=$(printf '%s\n' "$@" | awk 'prev=="-c"{print; exit} {prev=$0}')
  secs=$(printf '%s\n' "$out" | sed -n 's/.*Run completed in \([0-9.]*\) seconds.*/\1/p')
  awk -v c="$count" -v s="$secs" 'BEGIN { printf "%.0f", c / s }'
}
median() { sort -n | awk '{a[NR]=$1} END { print a[int((NR+1)/2)] }'; }

# Fill every target once so that reads return data, not holes.
for url in "$cairn_url" "$tgt_url" "$tgt_sync_url"; do
  qemu-img bench -f raw -t none -w -c 4096 -d 8 -s 1M "$url" >/dev/null 2>&1 || true
done

printf '\n%-14s %12s %12s %12s %10s %14s\n' "workload" "cairn ops/s" "tgt ops/s" "tgt-sync" "cairn/tgt" "cairn/tgt-sync"
for w in "${workloads[@]}"; do
  name="${w%%|*}"; read -r -a args <<<"${w#*|}"
  declare -A result=()
  for target in cairn tgt tgt_sync; do
    case $target in cairn) url=$cairn_url;; tgt) url=$tgt_url;; tgt_sync) url=$tgt_sync_url;; esac
    samples=()
    for _ in $(seq "$runs"); do samples+=("$(ops "$url" "${args[@]}")"); done
    result[$target]=$(printf '%s\n' "${samples[@]}" | median)
  done
  awk -v n="$name" -v c="${result[cairn]}" -v t="${result[tgt]}" -v ts="${result[tgt_sync]}" \
    'BEGIN { printf "%-14s %12d %12d %12d %9.2fx %13.2fx\n", n, c, t, ts, (t ? c/t : 0), (ts ? c/ts : 0) }'
done
echo
echo "(median of $runs runs each; Cairn acknowledges writes once durable, like tgt --sync)"
