#!/usr/bin/env bash
# The time `weakscope run --go` adds, measured side by side: the first
# build per toolchain (with the go build cache warm, then cold), and reruns
# that find the builds cached, interleaved with runs of as many variants
# without --go. Uses go1.26.8 (local) and go1.27.3 (fetched through
# GOTOOLCHAIN) only.
#
# Usage: scripts/gobench.sh [OUTDIR] [ROUNDS]   (ROUNDS of the cached reruns, default 10)
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-$(mktemp -d -t weakscope-gobench.XXXXXX)}
rounds=${2:-10}
mkdir -p "$out"
go build -o "$out/weakscope" ./cmd/weakscope
# The built workers go to a cache of this run's own; the go build cache
# stays where it is (by default it is under XDG_CACHE_HOME too).
GOCACHE=$(go env GOCACHE)
export GOCACHE
export XDG_CACHE_HOME="$out/cache"

# seconds LABEL ARGS...: one weakscope run; its wall time and the CPU time
# (user and system) of it and every process it waited for — workers, go
# commands, compilers — are appended to $out/times.txt as
# "LABEL WALL CPU". On a machine shared with other work the CPU time moves
# less than the wall time.
seconds() {
	local label=$1
	shift
	/usr/bin/time -f "%e %U %S" -o "$out/time.txt" "$out/weakscope" run "$@" --progress never --out "$out/run" >"$out/last.txt" 2>&1 ||
		echo "  ($label: exit $?; see $out/last.txt)" >&2
	awk -v l="$label" '{ printf "%s %.2f %.2f\n", l, $1, $2 + $3 }' "$out/time.txt" | tee -a "$out/times.txt"
}

# median LABEL COLUMN: the median of LABEL's times in COLUMN (2 wall, 3 CPU).
median() {
	awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$out/times.txt" | sort -g |
		awk '{ x[NR] = $1 } END { if (NR % 2) print x[(NR + 1) / 2]; else printf "%.3f\n", (x[NR / 2] + x[NR / 2 + 1]) / 2 }'
}

: >"$out/times.txt"
small=(weak-ref --objects 1000)

echo "== first build per toolchain, go build cache warm (3 rounds, against a run without --go)"
for t in go1.26.8 go1.27.3; do GOTOOLCHAIN=$t go env GOVERSION >/dev/null; done # fetched before timing
for _ in 1 2 3; do
	seconds plain "${small[@]}"
	for t in go1.26.8 go1.27.3; do
		rm -rf "$XDG_CACHE_HOME"
		seconds "first-$t-warm" "${small[@]}" --go "$t"
	done
done

echo "== first build per toolchain, go build cache cold (1 round)"
for t in go1.26.8 go1.27.3; do
	rm -rf "$XDG_CACHE_HOME"
	GOCACHE="$out/gocache-$t" seconds "first-$t-cold" "${small[@]}" --go "$t"
	chmod -R u+w "$out/gocache-$t" && rm -rf "$out/gocache-$t"
done

echo "== cached reruns, interleaved ($rounds rounds)"
seconds warmup "${small[@]}" --go go1.26.8,go1.27.3
for _ in $(seq "$rounds"); do
	seconds plain-1 "${small[@]}"
	seconds go-1 "${small[@]}" --go go1.26.8
	seconds plain-2 "${small[@]}" --gogc 100,101
	seconds go-2 "${small[@]}" --go go1.26.8,go1.27.3
done
for _ in $(seq "$rounds"); do
	seconds catalogue "--no-profiles"
	seconds catalogue-go "--no-profiles" --go go1.26.8
done

echo
echo "== medians (seconds): wall time, then CPU time"
row() { # row WHAT BASE WITH
	local b w bc wc
	b=$(median "$2" 2)
	w=$(median "$3" 2)
	bc=$(median "$2" 3)
	wc=$(median "$3" 3)
	awk -v what="$1" -v b="$b" -v w="$w" -v bc="$bc" -v wc="$wc" \
		'BEGIN { printf "| %s | %.2f | %.2f | %+.2f (%.2f×) | %.2f | %.2f | %+.2f (%.2f×) |\n", what, b, w, w - b, w / b, bc, wc, wc - bc, wc / bc }'
}
echo "| run | wall without --go | wall with | difference | CPU without --go | CPU with | difference |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
row "first build, go1.26.8, go build cache warm" plain first-go1.26.8-warm
row "first build, go1.27.3, go build cache warm" plain first-go1.27.3-warm
row "first build, go1.26.8, go build cache cold" plain first-go1.26.8-cold
row "first build, go1.27.3, go build cache cold" plain first-go1.27.3-cold
row "cached: weak-ref, one toolchain (2 variants)" plain-1 go-1
row "cached: weak-ref, two toolchains (4 variants; --gogc 100,101 without)" plain-2 go-2
row "cached: the catalogue, one toolchain" catalogue catalogue-go
echo "(raw times: $out/times.txt)"
