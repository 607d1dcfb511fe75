#!/usr/bin/env bash
# Front-end latency during a rebuild (issue 5): the same fixed-rate 4 KiB random-write load on an
# RF2 vDisk of a 4-node local cluster (1) healthy, (2) while the cluster re-protects the replicas
# of a node killed with kill -9, and (3) on the same three survivors once the rebuild is over (the
# same load without rebuild). Prints p50/p99/p99.9 completion latency side by side.
#
#   bench/latency-under-rebuild.sh [--data GiB] [--rate IOPS] [--seconds S] [--copy-rate RATE]
#
# The load: fio's nbd engine against qemu-nbd, which exports the vDisk's iscsi:// URL through node
# 1's portal (fio has no libiscsi engine here); 4 KiB random writes over the written data at a
# fixed rate (--rate, default 300 IOPS) and queue depth 4 for --seconds (default 20). Node 4 is
# the one killed (node 1 runs the vDisk's controller and serves the load). The node counts as
# failed 30 s after the kill; the load runs unmeasured meanwhile (the cluster downs the node and
# replaces its OpLog copies: a node loss, not the rebuild), and is measured from the first
# re-replication task on. The rebuild runs at the default cairn.curator.max-copy-rate unless
# --copy-rate is given. Needs fio, qemu-utils, qemu-block-extra, curl, python3. Every process it
# starts is stopped by its PID on exit (the cluster by cluster down).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
data_gib=4
rate=300
seconds=20
copy_rate=""
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data_gib="$2"; shift 2;;
    --rate) rate="$2"; shift 2;;
    --seconds) seconds="$2"; shift 2;;
    --copy-rate) copy_rate="$2"; shift 2;;
    *) sed -n '2,17p' "$0"; exit 2;;
  esac
done
for tool in fio qemu-nbd qemu-img curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool missing (apt-get install -y fio qemu-utils qemu-block-extra curl python3)" >&2; exit 2; }
done

work=$(mktemp -d /tmp/cairn-bench-rebuild.XXXXXX)
nbd_pid=""
base=14700
cleanup() {
  local rc=$?
  if [ "$rc" -ne 0 ] && [ -d "$work/cluster" ]; then
    rm -rf /tmp/cairn-bench-rebuild-logs && mkdir -p /tmp/cairn-bench-rebuild-logs
    for n in "$work"/cluster/node-*; do cp "$n/node.log" "/tmp/cairn-bench-rebuild-logs/$(basename "$n").log" 2>/dev/null || true; done
    echo "node logs kept in /tmp/cairn-bench-rebuild-logs" >&2
  fi
  [ -n "$nbd_pid" ] && kill "$nbd_pid" 2>/dev/null && wait "$nbd_pid" 2>/dev/null || true
  CAIRN_NO_BUILD=1 "$here/bin/cairn" cluster down --dir "$work/cluster" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
api() { echo "http://127.0.0.1:$((base + 10 * $1 + 3))"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

"$here/bin/cairn" --version >/dev/null  # builds on first use
opts="-XX:+UseSerialGC -Dcairn.curator.node-failure-delay=30s"
[ -n "$copy_rate" ] && opts="$opts -Dcairn.curator.max-copy-rate=$copy_rate"
echo "starting a 4-node cluster (RF2) ..." >&2
CAIRN_NO_BUILD=1 CAIRN_JAVA_OPTS="$opts" "$here/bin/cairn" cluster up --nodes 4 --blocks 4 \
  --dir "$work/cluster" --base-port "$base" --heap 1g >"$work/cluster-up.log" 2>&1 \
  || { cat "$work/cluster-up.log" >&2; for l in "$work"/cluster/node-*/node.log; do echo "== $l" >&2; grep -E "WARN|ERROR" "$l" | tail -15 >&2; done; exit 1; }
curl -sf -XPOST "$(api 1)/api/containers" -d '{"name":"rf2","replicationFactor":2}' >/dev/null
curl -sf -XPOST "$(api 1)/api/vdisks" -d "{\"name\":\"bench\",\"size\":\"$((data_gib * 2))G\",\"container\":\"rf2\"}" >"$work/vdisk.json"
lun=$(json 'd["lun"]' <"$work/vdisk.json")
url="iscsi://127.0.0.1:$((base + 12))/iqn.2026-11.io.cairn:demo/$lun"
for _ in $(seq 120); do iscsi-inq "$url" >/dev/null 2>&1 && break; sleep 0.5; done

echo "writing $data_gib GiB of random data through node 1 ..." >&2
head -c "$((data_gib << 30))" /dev/urandom >"$work/image.raw"
qemu-img convert -n -f raw -O raw -t none "$work/image.raw" "$url"
rm -f "$work/image.raw"
egroups=$((data_gib * 256))
for _ in $(seq 600); do
  n=$(curl -sf "$(api 1)/api/vdisks/bench/extent-groups" | json 'sum(1 for e in d if len({r["node"] for r in e["replicas"]}) == 2)' || echo 0)
  [ "$n" -ge "$egroups" ] && break
  sleep 1
done
# Waits (at most 3 min) until the given nodes' OpLogs are drained.
quiesce() {
  for _ in $(seq 360); do
    local u=0 i
    for i in "$@"; do u=$((u + $(curl -sf "$(api "$i")/api/status" | json 'd["oplog"]["undrainedBytes"]' || echo 0))); done
    [ "$u" -eq 0 ] && return 0
    sleep 0.5
  done
  echo "(OpLogs still draining after 3 min)" >&2
}
quiesce 1 2 3 4
on4=$(curl -sf "$(api 1)/api/vdisks/bench/extent-groups" | json 'sum(1 for e in d if any(r["node"]=="node-4" for r in e["replicas"]))')

qemu-nbd -f raw --cache=none --persistent -k "$work/nbd.sock" "$url" &
nbd_pid=$!
for _ in $(seq 100); do [ -S "$work/nbd.sock" ] && break; sleep 0.1; done

# One fio run of the load; prints "p50 p99 p99.9 iops errors" (latencies in microseconds; errors:
# writes that failed, which fio counts and goes on).
load() {
  fio --name=load --ioengine=nbd --uri="nbd+unix:///?socket=$work/nbd.sock" --rw=randwrite --bs=4k \
    --size="${data_gib}g" --iodepth=4 --rate_iops="$rate" --time_based --runtime="$seconds" --randrepeat=0 \
    --continue_on_error=all --output-format=json --output="$work/fio.json" >/dev/null
  python3 - "$work/fio.json" <<'EOF'
import json, sys
job = json.load(open(sys.argv[1]))["jobs"][0]
j = job["write"]
p = j["clat_ns"]["percentile"]
print("%.0f %.0f %.0f %.0f %d" % (p["50.000000"] / 1e3, p["99.000000"] / 1e3, p["99.900000"] / 1e3, j["iops"],
                                  job.get("total_err", 0)))
EOF
}

echo "warm-up, then the load on a healthy cluster ($seconds s at $rate IOPS) ..." >&2
load >/dev/null
read -r base50 base99 base999 base_iops base_err < <(load)

echo "kill -9 of node 4 ($on4 extent groups lose a replica); the load, unmeasured, until the rebuild starts ..." >&2
kill -9 "$(cat "$work/cluster/node-4/node.pid")"
pending_tasks() { curl -sf "$(api 1)/api/rebuild" | json 'd["rebuild"]["pendingTasks"]' 2>/dev/null || echo 0; }
fio --name=absorb --ioengine=nbd --uri="nbd+unix:///?socket=$work/nbd.sock" --rw=randwrite --bs=4k \
  --size="${data_gib}g" --iodepth=4 --rate_iops="$rate" --time_based --runtime=120 --randrepeat=0 \
  --continue_on_error=all --output-format=json --output="$work/absorb.json" >/dev/null 2>&1 &
absorb=$!
for _ in $(seq 480); do
  [ "$(pending_tasks)" -gt 0 ] && break
  sleep 0.25
done
kill -INT "$absorb" 2>/dev/null; wait "$absorb" 2>/dev/null || true # fio writes its report on SIGINT
absorb_err=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0].get("total_err", 0))' "$work/absorb.json" 2>/dev/null || echo "?")
echo "the load during the rebuild ..." >&2
before=$(curl -sf "$(api 1)/api/rebuild" | json 'd["rebuild"]["bytesReprotected"]')
read -r reb50 reb99 reb999 reb_iops reb_err < <(load)
status=$(curl -sf "$(api 1)/api/rebuild")
after=$(json 'd["rebuild"]["bytesReprotected"]' <<<"$status")
pending=$(json 'd["rebuild"]["pendingTasks"]' <<<"$status")
rate_mb=$(json 'd["rebuild"]["rateBytesPerSecond"] / 1e6' <<<"$status")
echo "waiting for the rebuild to finish, then the same load on the 3 survivors ..." >&2
for _ in $(seq 600); do
  [ "$(pending_tasks)" -eq 0 ] && break
  sleep 1
done
quiesce 1 2 3 # what the OpLogs held back while extent groups were re-protected drains first
read -r post50 post99 post999 post_iops post_err < <(load)

printf '\n%-26s %10s %10s %10s %8s %7s\n' "4 KiB random writes" "p50 us" "p99 us" "p99.9 us" "IOPS" "errors"
printf '%-26s %10s %10s %10s %8s %7s\n' "healthy (4 nodes)" "$base50" "$base99" "$base999" "$base_iops" "$base_err"
printf '%-26s %10s %10s %10s %8s %7s\n' "during the rebuild" "$reb50" "$reb99" "$reb999" "$reb_iops" "$reb_err"
printf '%-26s %10s %10s %10s %8s %7s\n' "after it (3 nodes)" "$post50" "$post99" "$post999" "$post_iops" "$post_err"
echo "failed writes between the kill and the rebuild's start (unmeasured load): $absorb_err"
awk -v a="$post99" -v b="$reb99" -v h="$base99" 'BEGIN { printf "p99 during the rebuild / without it: %.2fx (goal <= 2x); / healthy 4 nodes: %.2fx\n", b / a, b / h }'
echo "rebuild during the window: $(( (after - before) >> 20 )) MiB re-protected at ${rate_mb%.*} MB/s; $pending task(s) still pending at its end"
echo "($on4 extent groups of 4 MiB lost a replica; load: fio nbd engine -> qemu-nbd -> iSCSI node 1, QD4, fixed rate)"
