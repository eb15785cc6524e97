#!/usr/bin/env bash
# Are weakscope check's verdicts stable? Runs `weakscope check` against the
# committed baseline N times (default 50) under GOMAXPROCS=1, under
# GOMAXPROCS=2, and while two busy loops load both cores, and prints
# "N/M stable" for each; then, under tight memory limits, whether every
# expectation holds: `weakscope run` of the whole catalogue under
# GOMEMLIMIT 4MiB, and at 100,000 objects under 8MiB (N/5 runs each, at
# least 2). Every run's output is kept in the log directory.
#
# Usage: scripts/stability.sh [N] [LOGDIR]
set -uo pipefail
cd "$(dirname "$0")/.."

n=${1:-50}
logs=${2:-$(mktemp -d -t weakscope-stability.XXXXXX)}
mkdir -p "$logs"
bin="$logs/weakscope"
go build -o "$bin" ./cmd/weakscope || exit 2

batch() {
	local label=$1
	shift
	local ok=0
	for i in $(seq "$n"); do
		if env "$@" "$bin" check --baseline testdata/baseline.json --progress never >"$logs/$label-$i.txt" 2>&1; then
			ok=$((ok + 1))
		else
			echo "  $label run $i failed: $(grep -E '^(FAIL|PROBLEM)|REGRESSED' "$logs/$label-$i.txt" | head -3 | tr -s ' ' | tr '\n' ';')"
		fi
	done
	echo "$label: $ok/$n stable"
	[ "$ok" -eq "$n" ]
}

status=0
batch GOMAXPROCS=1 GOMAXPROCS=1 || status=1
batch GOMAXPROCS=2 GOMAXPROCS=2 || status=1

# Load both cores with busy loops for the third batch; stop them however
# this script ends.
load=()
for _ in 1 2; do
	(while :; do :; done) &
	load+=($!)
done
trap 'kill "${load[@]}" 2>/dev/null' EXIT
batch loaded GOMAXPROCS=2 || status=1
kill "${load[@]}" 2>/dev/null

# Tight memory limits: the collector runs back to back, automatic cycles
# interleave with the forced ones; the expectations must hold all the same.
tight() {
	local label=$1
	shift
	local runs=$(((n + 4) / 5))
	[ "$runs" -lt 2 ] && runs=2
	local ok=0
	for i in $(seq "$runs"); do
		if "$bin" run "$@" --no-profiles --progress never --out "$logs/$label-out" >"$logs/$label-$i.txt" 2>&1; then
			ok=$((ok + 1))
		else
			echo "  $label run $i failed: $(grep -E '^(FAIL|ERROR)' "$logs/$label-$i.txt" | head -3 | tr -s ' ' | tr '\n' ';')"
		fi
	done
	echo "$label: $ok/$runs runs with every expectation met"
	[ "$ok" -eq "$runs" ]
}
tight gomemlimit-4MiB --gomemlimit 4MiB || status=1
tight gomemlimit-8MiB-100k --gomemlimit 8MiB --objects 100000 || status=1

echo "logs: $logs"
exit $status
