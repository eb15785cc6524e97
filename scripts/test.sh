#!/usr/bin/env bash
# The project's test command: formatting, vet, staticcheck, then every test
# with the race detector. Needs only Go; tools are fetched through the Go
# module proxy by `go run`, never installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# The report's browser test opens report.html in Debian's Chromium. Install it
# when missing; where that cannot work (no root, no apt) the test skips,
# except in CI, which must run it.
if [ ! -x /usr/bin/chromium ]; then
	scripts/install-chromium.sh || echo "(no Chromium: the report's browser test will skip)"
fi
if [ "${CI:-}" = true ]; then
	export WEAKSCOPE_REQUIRE_BROWSER=1
fi

echo "== go test -race"
go test -race -count=1 ./...

# The benchmarks against limits and peers are a module of their own, so
# that the main module never depends on the peers. Here they are only
# vetted and run once each at a small size (a few seconds); scripts/bench.sh
# measures.
echo "== bench/ (vet, staticcheck, one smoke round)"
(
	cd bench
	unformatted=$(gofmt -l .)
	if [ -n "$unformatted" ]; then
		echo "gofmt would change (bench/):" >&2
		echo "$unformatted" >&2
		exit 1
	fi
	go vet ./...
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
	go test -count=1 ./...
)

# The project checks its own retention: the default catalogue against the
# committed baseline (refresh it with: go run ./cmd/weakscope check --baseline testdata/baseline.json --update).
echo "== weakscope check"
go run ./cmd/weakscope check --baseline testdata/baseline.json --progress never
