#!/usr/bin/env bash
# Performance, measured side by side: the Go benchmarks of inspect and
# scenario/cache with -count 10 as benchstat tables, the containers against
# their limits and peers (bench/), and the time and peak
# memory of `weakscope run` at 10k, 100k and 1M objects for report-cache
# and map-strategy, and for the whole default catalogue.
#
# Usage: scripts/bench.sh [OUTDIR]   (results also go to stdout)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-$(mktemp -d -t weakscope-bench.XXXXXX)}
mkdir -p "$out"
benchstat=(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da)

echo "== inspect (Read against runtime.ReadMemStats; the sampler's overhead)"
go test -c -o "$out/inspect.test" ./inspect
# One benchmark run per iteration, so that the compared benchmarks
# alternate and share the machine's mood.
for _ in $(seq 10); do "$out/inspect.test" -test.run '^$' -test.bench . -test.count 1; done >"$out/inspect.txt"
"${benchstat[@]}" "$out/inspect.txt"
"${benchstat[@]}" -filter '.name:AllocLoop' -col /sampler "$out/inspect.txt"

# Wall time on a shared machine is noisier than the sampler's cost. Where
# perf can count a process's CPU time (task-clock), 40 interleaved pairs of
# fixed-length runs compare CPU time per op instead.
if command -v perf >/dev/null 2>&1 && perf stat -e task-clock true >/dev/null 2>&1; then
	echo "== the sampler's overhead in CPU time (40 interleaved pairs)"
	for _ in $(seq 40); do
		for mode in off on; do
			ms=$(perf stat -x, -e task-clock "$out/inspect.test" -test.run '^$' -test.bench "AllocLoop/sampler=$mode\$" \
				-test.benchtime 200000x -test.count 1 2>&1 >/dev/null | awk -F, '$3 == "task-clock" { print $1 }')
			awk -v ms="$ms" -v m="$mode" 'BEGIN { printf "BenchmarkAllocLoopCPU/sampler=%s 200000 %.1f cpu-ns/op\n", m, ms * 1e6 / 200000 }'
		done
	done >"$out/sampler-cpu.txt"
	"${benchstat[@]}" -col /sampler "$out/sampler-cpu.txt"
fi

echo "== scenario/cache (holders side by side, Strong as the base)"
go test -run '^$' -bench . -count 10 ./scenario/cache/ >"$out/cache.txt"
"${benchstat[@]}" -col /holder "$out/cache.txt"

# The containers against the physical limits and public peers, in one
# process per size, in interleaved rounds (module bench/). Each prints Go
# benchmark lines and a table of ratios to each figure's limit.
echo "== bench/: limits and peers, 10k entries (10 rounds) and 1M (4 rounds)"
(
	cd bench
	go run . -rounds 10 -sizes 10000 -ratios "$out/ratios-10k.md" >"$out/limits-10k.txt"
	go run . -rounds 4 -sizes 1000000 -ratios "$out/ratios-1m.md" >"$out/limits-1m.txt"
)
cat "$out/ratios-10k.md" "$out/ratios-1m.md"
"${benchstat[@]}" -col /holder "$out/limits-10k.txt" "$out/limits-1m.txt" >"$out/limits-benchstat.txt" || true

echo "== weakscope run: time and peak RSS (three runs each, interleaved by size)"
go build -o "$out/weakscope" ./cmd/weakscope
# Each run's table is kept beside the timings; a run whose expectations
# fail is reported, and the measurements go on. A single run at 100k takes
# a few tenths of a second and moves by half of that between runs, so
# ratios are taken between medians of three.
measure() {
	local label=$1
	shift
	local log="$out/run-${label//[^a-zA-Z0-9]/_}.txt"
	/usr/bin/time -f "$label: %e s wall, %M KiB peak RSS" "$out/weakscope" run "$@" --no-profiles --progress never --out "$out/run" >"$log" 2>"$log.time" ||
		echo "  ($label: exit $?; see $log)"
	cat "$log.time"
}
for sc in report-cache map-strategy; do
	for round in 1 2 3; do
		for n in 10000 100000 1000000; do
			measure "$sc --objects $n (run $round)" "$sc" --objects "$n"
		done
	done | tee "$out/scaling-$sc.txt"
	# The median of the three runs at each size, and time(1M)/time(100k).
	for n in 10000 100000 1000000; do
		med=$(grep -F -- "--objects $n (" "$out/scaling-$sc.txt" | awk '{ print $6 }' | sort -n | sed -n 2p)
		echo "$sc --objects $n: median $med s"
		eval "med_$n=$med"
	done
	awk -v a="$med_1000000" -v b="$med_100000" -v sc="$sc" 'BEGIN { if (b > 0) printf "%s: time(1M)/time(100k) = %.1f\n", sc, a / b }'
done
measure "whole catalogue, default sizes"
