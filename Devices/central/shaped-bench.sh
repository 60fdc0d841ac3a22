#!/bin/sh
# The issue-8 uplink benchmark: `station-bench uplink` builds the 3G-like link itself (network namespace + veth,
# tbf 1 Mbit/s each way, nft 1 % random loss each way, 100 ms each way by a user-space delay proxy), starts
# central-receiver inside the namespace, drains N applications, uploads the same bytes once as a plain PUT over the
# same path, then cuts one more batch half-way. Needs root, iproute2 and nftables; without them it falls back to
# loopback (delay proxy only) and says so. Takes about (39 KB × N × 8 / 1e6) s × 2: ~6 min for 500.
#
#   sudo Devices/central/shaped-bench.sh [APPLICATIONS=500] [CONFIGURATION=release]
set -eu
APPS=${1:-500}
CONFIGURATION=${2:-release}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/.build}
cd "$ROOT"
swift build -c "$CONFIGURATION" --scratch-path "$SCRATCH" --product central-receiver
swift build -c "$CONFIGURATION" --scratch-path "$SCRATCH" --product station-bench
exec "$SCRATCH/$CONFIGURATION/station-bench" uplink --applications "$APPS"
