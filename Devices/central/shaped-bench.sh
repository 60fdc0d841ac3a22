#!/bin/sh
# Uplink goodput over a 3G-like link: central-receiver in a network namespace behind a veth pair shaped with tbf
# (the kernel here has no netem: rate by tbf, per-request latency by the receiver's --latency-ms), then the
# UplinkTests benchmark against it. Needs root, iproute2, and a built .build-uplink (swift build --build-tests).
#
#   sudo Devices/central/shaped-bench.sh [RATE=1mbit] [LATENCY_MS=150] [APPLICATIONS=40]
set -eu
RATE=${1:-1mbit}
LATENCY=${2:-150}
APPS=${3:-40}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build-uplink}
BIN=$SCRATCH/debug
NS=uplink_bench
DATA=$(mktemp -d)
ip netns add $NS
cleanup() {
    [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
    ip link del veth_ub0 2>/dev/null || true
    ip netns del $NS 2>/dev/null || true
    rm -rf "$DATA"
}
trap cleanup EXIT INT TERM
ip link add veth_ub0 type veth peer name veth_ub1
ip link set veth_ub1 netns $NS
ip addr add 10.78.0.1/24 dev veth_ub0
ip link set veth_ub0 up
ip netns exec $NS ip addr add 10.78.0.2/24 dev veth_ub1
ip netns exec $NS ip link set veth_ub1 up
ip netns exec $NS ip link set lo up
tc qdisc replace dev veth_ub0 root tbf rate "$RATE" burst 32kbit latency 400ms
ip netns exec $NS tc qdisc replace dev veth_ub1 root tbf rate "$RATE" burst 32kbit latency 400ms
ip netns exec $NS "$BIN/central-receiver" serve --data "$DATA" --host 10.78.0.2 --port 8480 --token bench \
    --latency-ms "$LATENCY" >"$DATA/receiver.log" 2>&1 &
PID=$!
sleep 1
cd "$ROOT"
STATION_TARGETS=UplinkTests STATION_UPLINK_BENCH_URL=http://10.78.0.2:8480 STATION_UPLINK_BENCH_TOKEN=bench \
    STATION_UPLINK_BENCH_APPLICATIONS=$APPS swift test --scratch-path "$SCRATCH" --filter BenchmarkTests 2>&1 |
    grep -E "uplink benchmark|drain|plain upload|efficiency|passed|failed"
