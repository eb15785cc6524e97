#!/usr/bin/env bash
# How fast and how large is the analysis of a large heap dump? Builds
# inspect/testdata/dumper, has it dump a heap of about a million objects,
# then measures reading the dump (MB/s, live bytes per object), the
# analysis after it (time, live bytes per object), and the whole
# "weakscope heap" command (wall time, peak RSS). See docs/PERFORMANCE.md.
#
# Usage: scripts/heapbench.sh [OBJECTS] [DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
dir=${2:-$(mktemp -d -t weakscope-heapbench.XXXXXX)}
mkdir -p "$dir"
go build -o "$dir/dumper" ./inspect/testdata/dumper
go build -o "$dir/weakscope" ./cmd/weakscope
"$dir/dumper" "$dir/heap.dump" "$n"
ls -l "$dir/heap.dump"
WEAKSCOPE_DUMP="$dir/heap.dump" go test -run '^$' -bench 'ReadDump|AnalyzeDump' -benchtime 5x -count 3 ./inspect | tee "$dir/bench.txt"
for _ in 1 2 3; do
	/usr/bin/time -f "weakscope heap: %e s wall, %U s user, peak RSS %M KiB" \
		"$dir/weakscope" heap "$dir/heap.dump" --exe "$dir/dumper" --top 10 >"$dir/heap.txt"
done
head -3 "$dir/heap.txt"
echo "files: $dir"
