#!/usr/bin/env bash
# Measures the library's speed next to a peer, for BENCHMARKS.md:
#   - ingest of ../shared/corpus into a new data directory (hyperfine), and
#     the re-run over unchanged input;
#   - index sizes on disk (keyword index, SQLite database, FTS5 peer);
#   - search under load (wrk) against `mattranso serve` as shipped (hybrid:
#     keyword index + local embedder vectors), `serve` on keywords alone
#     (MATTRANSO_SEARCH_MODE=keyword) and the SQLite FTS5 peer
#     `mattranso eval fts5-serve`, on the same data and query mix;
#   - one client asking the mix once (curl), to find the slow queries;
#   - the Go benchmarks BenchmarkKeywordSearch and BenchmarkFTS5Search.
# It prints a Markdown summary (also kept in $BENCH_OUT/summary.md).
#
#   bash scripts/bench.sh
#
# Only loopback traffic, every step bounded. Settings (environment):
#   MATTRANSO_SHARED   shared data (default ../shared)
#   BENCH_OUT          keep raw outputs here (default: a temporary directory, removed)
#   BENCH_DURATION     wrk duration (30s), BENCH_CONNS (32), BENCH_THREADS (2)
#   BENCH_ROUNDS       wrk rounds, alternating the two servers (2)
#   BENCH_INGEST_RUNS  hyperfine runs of the first ingest (2), BENCH_REINGEST_RUNS (5)
#   BENCH_SWEEP        queries of the mix the single-client sweep asks (800; 0: all)
#   BENCH_GOTIME       -benchtime of the Go benchmarks (2s)
# Made for Debian 12: installs wrk, hyperfine, jq and curl when missing (as root).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
SHARED=$(realpath -m "${MATTRANSO_SHARED:-$ROOT/../shared}")
DURATION=${BENCH_DURATION:-30s}
CONNS=${BENCH_CONNS:-32}
THREADS=${BENCH_THREADS:-2}
INGEST_RUNS=${BENCH_INGEST_RUNS:-2}
REINGEST_RUNS=${BENCH_REINGEST_RUNS:-5}
SWEEP=${BENCH_SWEEP:-800}
GOTIME=${BENCH_GOTIME:-2s}
ROUNDS=${BENCH_ROUNDS:-2}

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'scripts/bench.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
[[ -d $SHARED/corpus && -f $SHARED/eval/alqac2025/queries.jsonl ]] ||
	die "no shared data at $SHARED (set MATTRANSO_SHARED)"

# --- install what is missing -----------------------------------------------------
missing=()
for p in wrk hyperfine jq curl; do command -v "$p" >/dev/null || missing+=("$p"); done
if ((${#missing[@]})); then
	[[ $EUID -eq 0 ]] || die "missing ${missing[*]}; run as root to install them, or install them yourself"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- work space and clean-up ----------------------------------------------------------
TMP=$(mktemp -d -t mattranso-bench.XXXXXX)
OUT=${BENCH_OUT:-$TMP/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
DATA=$TMP/data
BIN=$TMP/mattranso
pids=()
cleanup() {
	local status=$?
	for pid in "${pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$TMP"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

source "$ROOT/scripts/lib.sh"

# wait_ready URL PID SECONDS: until URL answers 200, the process dies, or time runs out.
wait_ready() {
	local url=$1 pid=$2 secs=$3
	for _ in $(seq $((secs * 4))); do
		kill -0 "$pid" 2>/dev/null || return 1
		[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url") == 200 ]] && return 0
		sleep 0.25
	done
	return 1
}

rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }
hf_mean() { jq -r '.results[0] | "\(.mean * 1000 | round / 1000) s ± \(.stddev // 0 | . * 1000 | round / 1000) s (min \(.min * 1000 | round / 1000), max \(.max * 1000 | round / 1000), \(.times | length) runs)"' "$1"; }

# --- machine ---------------------------------------------------------------------------
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
NPROC=$(nproc)
MEM=$(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
KERNEL=$(uname -r)
GOV=$(go version | awk '{print $3}')
REV=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$( [[ -n $(git status --porcelain 2>/dev/null) ]] && echo " (with uncommitted changes)" || true)
WRKV=$(wrk -v 2>&1 | awk 'NR == 1 {print $2}' || true)
HFV=$(hyperfine --version | awk '{print $2}')
load() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(load)
say "machine: $CPU, $NPROC CPUs, $MEM; load $LOAD_START"

# --- build -----------------------------------------------------------------------------
say "go build -o $BIN ./cmd/mattranso"
go build -o "$BIN" ./cmd/mattranso

# --- ingest ----------------------------------------------------------------------------
# The first run starts from an empty data directory each time (hyperfine
# --prepare); the last one's directory is kept for what follows.
say "ingest, first run ($INGEST_RUNS runs)"
hyperfine --style basic --runs "$INGEST_RUNS" --prepare "rm -rf '$DATA'" \
	--export-json "$OUT/ingest-first.json" \
	"'$BIN' ingest --data '$DATA' '$SHARED/corpus'" >"$OUT/ingest-first.txt" 2>&1 ||
	{ cat "$OUT/ingest-first.txt" >&2; die "ingest failed"; }
"$BIN" ingest --data "$DATA" "$SHARED/corpus" >"$OUT/ingest-line.txt" 2>/dev/null
say "ingest, re-run over unchanged input ($REINGEST_RUNS runs)"
hyperfine --style basic --warmup 1 --runs "$REINGEST_RUNS" --export-json "$OUT/ingest-rerun.json" \
	"'$BIN' ingest --data '$DATA' '$SHARED/corpus'" >"$OUT/ingest-rerun.txt" 2>&1 ||
	{ cat "$OUT/ingest-rerun.txt" >&2; die "re-ingest failed"; }

du_b() { du -sb --apparent-size "$@" 2>/dev/null | awk '{s += $1} END {printf "%.1f MiB", s/1048576}'; }
DOCS=$(tail -1 "$OUT/ingest-line.txt" | sed 's/^ingest: //; s/ read .*//')
{
	echo "| \`mattranso.db*\` (SQLite: documents, ingest state) | $(du_b "$DATA"/mattranso.db*) |"
	for d in "$DATA"/index/*/; do
		echo "| \`index/$(basename "$d")\` | $(du_b "$d") |"
	done
	echo "| whole data directory | $(du_b "$DATA") |"
} >"$OUT/sizes.md"

# --- servers ---------------------------------------------------------------------------
# name, label; ports and pids by name. "keyword" runs on a copy of the data
# directory: one process at a time may open a bleve index.
NAMES=(hybrid keyword fts5)
declare -A LABEL=([hybrid]="serve, as shipped (hybrid)" [keyword]="serve, MATTRANSO_SEARCH_MODE=keyword" [fts5]="FTS5 peer (eval fts5-serve)")
declare -A PORT PID
for s in "${NAMES[@]}"; do
	while :; do
		PORT[$s]=$(free_port)
		dup=0
		for o in "${NAMES[@]}"; do [[ $o != "$s" && ${PORT[$o]:-} == "${PORT[$s]}" ]] && dup=1; done
		((dup)) || break
	done
done
cp -a "$DATA" "$TMP/data-keyword"
start_server() { # NAME command...
	local name=$1
	shift
	say "${LABEL[$name]} on 127.0.0.1:${PORT[$name]}"
	"$@" >"$OUT/server-$name.log" 2>&1 &
	PID[$name]=$!
	pids+=("${PID[$name]}")
	{ wait_ready "http://127.0.0.1:${PORT[$name]}/readyz" "${PID[$name]}" 600 &&
		wait_learned "http://127.0.0.1:${PORT[$name]}" "${PID[$name]}" 1200; } ||
		{ cat "$OUT/server-$name.log" >&2; die "${LABEL[$name]} did not become ready"; }
}
export MATTRANSO_INGEST=none LOG_LEVEL=warn
start_server hybrid "$BIN" serve --addr "127.0.0.1:${PORT[hybrid]}" --data "$DATA"
MATTRANSO_SEARCH_MODE=keyword start_server keyword "$BIN" serve --addr "127.0.0.1:${PORT[keyword]}" --data "$TMP/data-keyword"
PEER_START=$(date +%s.%N)
start_server fts5 "$BIN" eval fts5-serve --addr "127.0.0.1:${PORT[fts5]}" --data "$DATA"
PEER_BUILD=$(echo "$(date +%s.%N) - $PEER_START" | bc | xargs printf '%.1f s')
# "fts5 peer: indexed N passages of M documents in T, B bytes at PATH"
PEER_LINE=$(grep -m1 '^fts5 peer: indexed' "$OUT/server-fts5.log" || true)
PASSAGES=$(awk '{print $4}' <<<"$PEER_LINE")
echo "| FTS5 peer table (temporary, built at the peer's start from the database: $PEER_BUILD to ready) | $(awk '{printf "%.1f MiB", $(NF-3) / 1048576}' <<<"$PEER_LINE") |" >>"$OUT/sizes.md"

# --- query mix -----------------------------------------------------------------------
MIX=$OUT/mix.txt
"$BIN" eval query-mix --dataset "$SHARED/eval/alqac2025" >"$MIX"
NMIX=$(wc -l <"$MIX")
say "query mix: $NMIX queries"
for s in "${NAMES[@]}"; do
	n=$(curl -sf --max-time 30 "http://127.0.0.1:${PORT[$s]}/api/v1/library/search?limit=10&q=thu%20tuc%20dang%20ky%20khai%20sinh" | jq '.results | length') ||
		die "search on ${LABEL[$s]} failed"
	[[ $n -gt 0 ]] || say "warning: no results from ${LABEL[$s]} for 'thu tuc dang ky khai sinh'"
done

# --- one client: per-query latency -------------------------------------------------------
# One curl process asks each query of the servers in turn, so that all see
# the same background load.
n=$SWEEP
((n > 0 && n < NMIX)) || n=$NMIX
say "single-client sweep: $n queries, each of ${#NAMES[@]} servers in turn"
bases=()
for s in "${NAMES[@]}"; do bases+=("http://127.0.0.1:${PORT[$s]}/api/v1/library/search?limit=10&q="); done
head -n "$n" "$MIX" | jq -R -r --args '@uri as $q | $ARGS.positional[] | "url = \"\(. + $q)\"\noutput = \"/dev/null\""' "${bases[@]}" >"$TMP/curl.cfg"
curl -s --max-time 60 -K "$TMP/curl.cfg" -w '%{http_code}\t%{time_total}\n' >"$OUT/sweep-all.tsv"
for i in "${!NAMES[@]}"; do
	s=${NAMES[$i]}
	awk -v k="${#NAMES[@]}" -v i="$i" 'NR % k == (i + 1) % k' "$OUT/sweep-all.tsv" >"$OUT/sweep-$s.tsv"
	paste "$OUT/sweep-$s.tsv" <(head -n "$n" "$MIX") >"$OUT/sweep-$s-q.tsv"
	cut -f2 "$OUT/sweep-$s.tsv" >"$TMP/t-$s"
done
pct() { # FILE (seconds, one a line) P → milliseconds
	sort -n "$1" | awk -v p="$2" '{a[NR] = $1} END {i = int((NR - 1) * p / 100) + 1; printf "%.1f", a[i] * 1000}'
}

# --- load ------------------------------------------------------------------------------
WRK=(wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --timeout 10s --latency -s scripts/wrk-search.lua)
for s in "${NAMES[@]}"; do
	say "wrk warm-up: $s (5s)"
	wrk -t"$THREADS" -c"$CONNS" -d5s --timeout 10s -s scripts/wrk-search.lua "http://127.0.0.1:${PORT[$s]}" -- "$MIX" >/dev/null
done
# Rounds take the servers in turn, so that all meet the same background load.
for r in $(seq "$ROUNDS"); do
	for s in "${NAMES[@]}"; do
		say "wrk round $r: $s (${DURATION})"
		before=$(load)
		"${WRK[@]}" "http://127.0.0.1:${PORT[$s]}" -- "$MIX" >"$OUT/wrk-$s-$r.txt"
		echo "load_before=$before load_after=$(load)" >>"$OUT/wrk-$s-$r.txt"
	done
done
declare -A RSS
for s in "${NAMES[@]}"; do
	RSS[$s]=$(rss_mib "${PID[$s]}")
	kill "${PID[$s]}" 2>/dev/null || true
	wait "${PID[$s]}" 2>/dev/null || true
done
pids=()

# --- Go benchmarks ---------------------------------------------------------------------
# Rounds alternate the two benchmarks, as with wrk. Each builds its index
# (ingest of the alqac2025 laws and 500 procedures) before timing.
: >"$OUT/gobench.txt" # BENCH_OUT may hold an earlier run's
for r in $(seq "$ROUNDS"); do
	for b in "keyword:BenchmarkKeywordSearch:./retrieval" "fts5:BenchmarkFTS5Search:./eval"; do
		IFS=: read -r name bench pkg <<<"$b"
		say "Go benchmark round $r: $bench (-benchtime $GOTIME)"
		MATTRANSO_SHARED=$SHARED go test -run '^$' -bench "^$bench\$" -benchmem -benchtime "$GOTIME" -timeout 20m "$pkg" >"$OUT/gobench-$name-$r.txt" 2>&1 ||
			{ cat "$OUT/gobench-$name-$r.txt" >&2; die "$bench failed"; }
		awk -v e="$name" -v r="$r" '/^Benchmark/ {
			m = $1; sub(/-[0-9]+$/, "", m); sub(/^Benchmark[A-Za-z0-9]+\//, "", m)
			print e, r, m, $3, $5, $7
		}' "$OUT/gobench-$name-$r.txt" >>"$OUT/gobench.txt"
	done
done
LOAD_END=$(load)

# --- summary ---------------------------------------------------------------------------
wrkv() { grep -o "WRK_SUMMARY.*" "$OUT/wrk-$1.txt" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k {print $2}'; }
wrkload() { sed -n 's/^load_before=\([^ ]*\).*load_after=\([^ ]*\).*/\1 → \2/p' "$OUT/wrk-$1.txt"; }
ms() { awk -v u="$1" 'BEGIN {printf "%.1f", u / 1000}'; }
{
	echo "## Run of $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "- Machine: $CPU, $NPROC CPUs (nproc), $MEM RAM, Linux $KERNEL; $GOV; wrk $WRKV, hyperfine $HFV"
	echo "- Code: $REV$DIRTY"
	echo "- Load average (1, 5, 15 min): start $LOAD_START, end $LOAD_END"
	echo "- Corpus: \`$SHARED/corpus\` — $DOCS ($PASSAGES passages)"
	echo
	echo "### Ingest (\`mattranso ingest --data DIR $SHARED/corpus\`)"
	echo
	echo "| | time |"
	echo "|---|---|"
	echo "| first run, empty data directory | $(hf_mean "$OUT/ingest-first.json") |"
	echo "| re-run, nothing changed | $(hf_mean "$OUT/ingest-rerun.json") |"
	echo
	echo "### On disk"
	echo
	echo "| | size |"
	echo "|---|---|"
	cat "$OUT/sizes.md"
	echo
	echo "### Search under load: wrk -t$THREADS -c$CONNS -d$DURATION --latency, $NMIX-query mix"
	echo
	echo "| round | server | requests/s | p50 | p90 | p99 | max | non-2xx, timeouts | load (1 min) before → after |"
	echo "|---|---|---|---|---|---|---|---|---|"
	for r in $(seq "$ROUNDS"); do
		for s in "${NAMES[@]}"; do
			f=$s-$r
			echo "| $r | ${LABEL[$s]} | $(wrkv $f rps) | $(ms "$(wrkv $f p50_us)") ms | $(ms "$(wrkv $f p90_us)") ms | $(ms "$(wrkv $f p99_us)") ms | $(ms "$(wrkv $f max_us)") ms | $(wrkv $f non2xx), $(wrkv $f timeout) | $(wrkload $f) |"
		done
	done
	echo
	printf 'Resident memory after the load:'
	for s in "${NAMES[@]}"; do printf ' %s %s MiB;' "${LABEL[$s]}" "${RSS[$s]}"; done
	echo
	echo
	echo "Times the hybrid server's vector side failed and paused (it then answers from keywords alone for 30 s): $(grep -c 'keywords only for a while' "$OUT/server-hybrid.log" || true)."
	echo
	echo "### One client, the first $n queries of the mix, each asked of every server in turn (curl)"
	echo
	echo "| server | p50 | p90 | p99 | max | total |"
	echo "|---|---|---|---|---|---|"
	for s in "${NAMES[@]}"; do
		echo "| ${LABEL[$s]} | $(pct "$TMP/t-$s" 50) ms | $(pct "$TMP/t-$s" 90) ms | $(pct "$TMP/t-$s" 99) ms | $(pct "$TMP/t-$s" 100) ms | $(awk '{s += $1} END {printf "%.1f s", s}' "$TMP/t-$s") |"
	done
	echo
	echo "By kind of query (the mix repeats blocks of four: question, citizen search, question without diacritics, reference or citizen search), p50 / p90:"
	echo
	printf '| kind | n |'
	for s in "${NAMES[@]}"; do printf ' %s |' "${LABEL[$s]}"; done
	echo
	printf '|---|---|'
	for s in "${NAMES[@]}"; do printf -- '---|'; done
	echo
	for c in question citizen question-no-diacritics reference; do
		row="| $c |"
		for s in "${NAMES[@]}"; do
			awk -F'\t' -v c="$c" '{
				k = (NR - 1) % 4; b = int((NR - 1) / 4)
				cls = k == 0 ? "question" : k == 1 ? "citizen" : k == 2 ? "question-no-diacritics" : (b % 2 == 0 ? "reference" : "citizen")
				if (cls == c) print $2
			}' "$OUT/sweep-$s.tsv" >"$TMP/c-$s"
			[[ $row == *"| $c |" ]] && row+=" $(wc -l <"$TMP/c-$s") |"
			row+=" $(pct "$TMP/c-$s" 50) / $(pct "$TMP/c-$s" 90) ms |"
		done
		echo "$row"
	done
	for s in "${NAMES[@]}"; do
		echo
		echo "Slowest for ${LABEL[$s]}:"
		echo
		sort -t$'\t' -k2,2 -g -r "$OUT/sweep-$s-q.tsv" | awk 'NR <= 5' |
			jq -R -r 'split("\t") | "- \((.[1] | tonumber) * 1000 | round) ms (HTTP \(.[0])): `\(.[2] | if length > 100 then .[0:100] + "…" else . end)`"'
	done
	echo
	echo "### Go benchmarks (-benchmem -benchtime $GOTIME): keyword index alone vs FTS5, alqac2025 laws + 500 procedures, limit 10"
	echo
	echo "time/op of each round (the two benchmarks alternating); B/op and allocs/op of the last round."
	echo
	echo "| queries | ours (bleve) time/op | FTS5 peer time/op | ours B/op | ours allocs/op | FTS5 B/op | FTS5 allocs/op |"
	echo "|---|---|---|---|---|---|---|"
	awk '{
		k = $3; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		t = sprintf("%.1f ms", $4 / 1e6)
		if ($1 == "keyword") { kt[k] = kt[k] (kt[k] == "" ? "" : ", ") t; kb[k] = $5; ka[k] = $6 }
		else { ft[k] = ft[k] (ft[k] == "" ? "" : ", ") t; fb[k] = $5; fa[k] = $6 }
	} END {
		for (i = 1; i <= n; i++) { k = order[i]
			printf "| %s | %s | %s | %.1f MB | %s | %.1f MB | %s |\n", k, kt[k], ft[k], kb[k] / 1e6, ka[k], fb[k] / 1e6, fa[k]
		}
	}' "$OUT/gobench.txt"
} | tee "$OUT/summary.md"
if [[ -n ${BENCH_OUT:-} ]]; then say "raw outputs in $OUT"; fi
