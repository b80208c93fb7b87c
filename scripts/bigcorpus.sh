#!/usr/bin/env bash
# The library at one size, for BENCHMARKS.md "A library a hundred times
# larger": generates a synthetic corpus (mattranso admin gen-corpus) so
# that, ingested beside the real corpus, the library holds about PASSAGES
# passages; ingests both into an empty data directory (time, peak memory);
# measures the data directory on disk; starts `mattranso serve` on it as
# shipped (hybrid: keyword index, local embedder, embedded vectors) and
# reads its resident memory once ready, after the first searches and after
# one client has asked the query mix (p50/p99 from curl's time_total).
# Prints one Markdown table row and the load average around each step.
#
#   bash scripts/bigcorpus.sh 100000            # 10k: give 9270 (the shipped corpus alone)
#
# Environment:
#   MATTRANSO_SHARED   the shared data (../shared)
#   BIG_DIR            where the corpus, data directory and logs go
#                      (/tmp/mattranso-big-PASSAGES); kept afterwards, and
#                      reused: a step whose output is there is not redone
#   BIG_SWEEP          queries of the mix asked by the one client (800)
#   BIG_SEED           the generator's seed (1)
#   BIG_NICE           niceness of ingest and serve (0)
#   BIG_WARM           seconds given to the in-memory keyword snapshot after
#                      the first searches, before the sweep (20; 180 at 1M,
#                      whose snapshot takes some two minutes to build)
#   BIG_BIN            a mattranso binary to measure instead of building one
#                      (to compare two versions on one data directory)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
SHARED=$(realpath -m "${MATTRANSO_SHARED:-$ROOT/../shared}")
PASSAGES=${1:?usage: bash scripts/bigcorpus.sh PASSAGES}
DIR=${BIG_DIR:-/tmp/mattranso-big-$PASSAGES}
SWEEP=${BIG_SWEEP:-800}
SEED=${BIG_SEED:-1}
NICE=${BIG_NICE:-0}
WARM=${BIG_WARM:-20}
# The shipped corpus cuts into this many passages; the generator adds the rest.
SHIPPED=9270

say() { printf '==> %s (load %s)\n' "$*" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2; }
die() { printf 'scripts/bigcorpus.sh: %s\n' "$*" >&2; exit 1; }
for p in go curl jq; do command -v "$p" >/dev/null || die "$p is not on PATH"; done
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) is missing: apt-get install time"
[[ -d $SHARED/corpus ]] || die "no shared data at $SHARED (set MATTRANSO_SHARED)"

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
BIN=${BIG_BIN:-$DIR/mattranso}
DATA=$DIR/data
GEN=$DIR/corpus
pid=
cleanup() {
	local status=$?
	[[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	exit "$status"
}
trap cleanup EXIT
source "$ROOT/scripts/lib.sh"

[[ -n ${BIG_BIN:-} ]] || go build -o "$BIN" ./cmd/mattranso
SOURCES=("$SHARED/corpus")
if ((PASSAGES > SHIPPED)); then
	if [[ ! -d $GEN ]]; then
		say "generating $((PASSAGES - SHIPPED)) passages"
		/usr/bin/time -f '%e s, %M KiB peak' -o "$DIR/gen.time" \
			"$BIN" admin gen-corpus --passages $((PASSAGES - SHIPPED)) --seed "$SEED" --source "$SHARED/corpus" "$GEN.tmp" >"$DIR/gen.log"
		mv "$GEN.tmp" "$GEN"
	fi
	SOURCES+=("$GEN")
fi

if [[ ! -f $DIR/ingest.time ]]; then
	rm -rf "$DATA"
	say "ingest"
	/usr/bin/time -f '%e s, %M KiB peak' -o "$DIR/ingest.time.tmp" \
		nice -n "$NICE" "$BIN" ingest --data "$DATA" "${SOURCES[@]}" >"$DIR/ingest.log" 2>&1 ||
		{ tail "$DIR/ingest.log" >&2; die "ingest failed"; }
	mv "$DIR/ingest.time.tmp" "$DIR/ingest.time"
	say "ingest done: $(cat "$DIR/ingest.time")"
fi

mib() { { du -sb --apparent-size "$@" 2>/dev/null || true; } | awk '{s += $1} END {printf "%.0f", s/1048576}'; }
DB=$(mib "$DATA"/mattranso.db*)
KW=$(mib "$DATA/index/keyword")
VEC=$(mib "$DATA/index/local")
ALL=$(mib "$DATA")

rss() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
hwm() { awk '/^VmHWM/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
wait_ready() {
	for _ in $(seq 2400); do
		kill -0 "$pid" 2>/dev/null || return 1
		[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1") == 200 ]] && return 0
		sleep 0.25
	done
	return 1
}
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
say "serve"
start=$(date +%s.%N)
MATTRANSO_INGEST=none LOG_LEVEL=warn nice -n "$NICE" "$BIN" serve --addr "127.0.0.1:$PORT" --data "$DATA" >"$DIR/serve.log" 2>&1 &
pid=$!
wait_ready "$BASE/readyz" || { tail "$DIR/serve.log" >&2; die "serve did not become ready"; }
READY_S=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f", e - s}')
sleep 2
RSS_READY=$(rss "$pid")

"$BIN" eval query-mix --dataset "$SHARED/eval/alqac2025" >"$DIR/mix.txt"
# The first searches build the in-memory keyword snapshot in the background;
# give it time so that the sweep measures the path searches take afterwards.
for q in "thu tuc dang ky khai sinh" "Điều 8 Luật Cư trú" "quyền và nghĩa vụ của viên chức"; do
	curl -s -o /dev/null --max-time 120 -G --data-urlencode "q=$q" "$BASE/api/v1/library/search?limit=10"
done
sleep "$WARM"
RSS_WARM=$(rss "$pid")

say "one client, $SWEEP queries"
head -n "$SWEEP" "$DIR/mix.txt" | jq -R -r --arg b "$BASE/api/v1/library/search?limit=10&q=" \
	'@uri as $q | "url = \"\($b + $q)\"\noutput = \"/dev/null\""' >"$DIR/curl.cfg"
curl -s --max-time 60 -K "$DIR/curl.cfg" -w '%{http_code}\t%{time_total}\n' >"$DIR/sweep.tsv"
RSS_LOAD=$(rss "$pid")
HWM=$(hwm "$pid")
NON200=$(awk -F'\t' '$1 != 200' "$DIR/sweep.tsv" | wc -l)
pct() { cut -f2 "$DIR/sweep.tsv" | sort -n | awk -v p="$1" '{a[NR] = $1} END {i = int((NR - 1) * p / 100) + 1; printf "%.1f", a[i] * 1000}'; }
say "done"

echo "| passages | ingest | on disk: database, keyword index, vectors, all | serve ready | resident: ready, after first searches, after the sweep, peak | one client p50 / p99 (non-200) | load |"
echo "|---|---|---|---|---|---|---|"
echo "| $PASSAGES | $(cat "$DIR/ingest.time") | $DB, $KW, $VEC, $ALL MiB | $READY_S s | $RSS_READY, $RSS_WARM, $RSS_LOAD, $HWM MiB | $(pct 50) / $(pct 99) ms ($NON200) | $(cut -d' ' -f1-3 /proc/loadavg) |"
