#!/usr/bin/env bash
# Compares the search speed of two builds on the same data and load, for a
# change that must not slow search down ("within noise"):
#
#   bash scripts/bench-ab.sh REV            # REV (a commit) against the work tree
#
# It builds both, ingests ../shared/corpus once with the work tree's build,
# gives each server its own copy of that data directory (the embedder the
# first start trains included), and runs wrk
# rounds against the two servers in turn (A B B A …, so that both see the
# same drift in background load), with the query mix of scripts/bench.sh.
# It prints one Markdown table: requests/s and p50/p99 latency per round.
#
# Settings: MATTRANSO_SHARED (../shared), BENCH_DURATION (20s), BENCH_CONNS
# (32), BENCH_THREADS (2), BENCH_ROUNDS (3 per build), BENCH_MODE (hybrid or
# keyword). Only loopback traffic; every step is bounded.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
REV=${1:?usage: bash scripts/bench-ab.sh REV}
SHARED=$(realpath -m "${MATTRANSO_SHARED:-$ROOT/../shared}")
DURATION=${BENCH_DURATION:-20s}
CONNS=${BENCH_CONNS:-32}
THREADS=${BENCH_THREADS:-2}
ROUNDS=${BENCH_ROUNDS:-3}
MODE=${BENCH_MODE:-hybrid}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'scripts/bench-ab.sh: %s\n' "$*" >&2; exit 1; }
for p in wrk curl jq; do command -v "$p" >/dev/null || die "$p is missing (scripts/bench.sh installs it)"; done
[[ -d $SHARED/corpus ]] || die "no shared data at $SHARED (set MATTRANSO_SHARED)"
git rev-parse --verify -q "$REV^{commit}" >/dev/null || die "$REV is not a commit"

TMP=$(mktemp -d -t mattranso-ab.XXXXXX)
pids=()
cleanup() {
	local status=$?
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	git worktree remove --force "$TMP/src" >/dev/null 2>&1 || true
	rm -rf "$TMP"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building the work tree and $REV"
go build -o "$TMP/new" ./cmd/mattranso
git worktree add -q --detach "$TMP/src" "$REV"
(cd "$TMP/src" && go build -o "$TMP/old" ./cmd/mattranso)

say "ingesting $SHARED/corpus"
export MATTRANSO_SHARED=$SHARED LOG_LEVEL=warn
"$TMP/new" ingest --data "$TMP/data" "$SHARED/corpus" >/dev/null 2>"$TMP/ingest.log" ||
	{ cat "$TMP/ingest.log" >&2; die "ingest failed"; }
"$TMP/new" eval query-mix --dataset "$SHARED/eval/alqac2025" >"$TMP/mix.txt"

source "$ROOT/scripts/lib.sh"
declare -A PORT
start() { # NAME BIN DATA
	PORT[$1]=$(free_port)
	MATTRANSO_INGEST=none MATTRANSO_SEARCH_MODE=$MODE "$2" serve --addr "127.0.0.1:${PORT[$1]}" --data "$3" >"$TMP/$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 2400); do
		[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:${PORT[$1]}/readyz") == 200 ]] &&
			wait_learned "http://127.0.0.1:${PORT[$1]}" "${pids[-1]}" 1200 && return 0
		kill -0 "${pids[-1]}" 2>/dev/null || break
		sleep 0.25
	done
	cat "$TMP/$1.log" >&2
	die "$1 did not become ready"
}
say "starting both servers ($MODE) — the first start trains the local embedder, a few minutes"
start new "$TMP/new" "$TMP/data"
# The old build gets a copy of the data as the new one left it once ready
# (idle: nothing is written then), trained embedder included, so that both
# search the same vectors.
cp -a "$TMP/data" "$TMP/data-old"
rm -f "$TMP/data-old/mattranso.lock"
start old "$TMP/old" "$TMP/data-old"

round() { # NAME
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency -s scripts/wrk-search.lua \
		"http://127.0.0.1:${PORT[$1]}" -- "$TMP/mix.txt" 10 2>&1 |
		awk -v name="$1" '/^WRK_SUMMARY/ {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			printf "| %s | %.0f | %.1f | %.1f | %d |\n", name, v["rps"], v["p50_us"] / 1000, v["p99_us"] / 1000, v["non2xx"] + v["timeout"] + v["read"] }'
}
echo "| build | requests/s | p50 ms | p99 ms | errors |"
echo "|---|---|---|---|---|"
for ((i = 0; i < ROUNDS; i++)); do
	if ((i % 2 == 0)); then round old; round new; else round new; round old; fi
done
echo
echo "old: $(git rev-parse --short "$REV"), new: $(git rev-parse --short HEAD)$([[ -n $(git status --porcelain) ]] && echo ' (with uncommitted changes)'), $MODE, $CONNS connections, $DURATION a round; load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
