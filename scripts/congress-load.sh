#!/usr/bin/env bash
# The load test of the congress dashboard's event stream (BENCHMARKS.md,
# "Congress dashboard: 5,000 live clients"). It builds mattranso, starts
# `mattranso serve` on a new data directory with the unit tree imported
# and no library, makes a reporter's token for the whole country, and
# runs `mattranso eval congress-load`: LOAD_CLIENTS event-stream clients
# held open and idle, the server's memory per idle connection read from
# /metrics, then LOAD_PUTS writes of one congress and the delay from each
# write to its event on the last client opened and on every client.
#
#   bash scripts/congress-load.sh                          # 5,000 clients, SQLite
#   LOAD_CLIENTS=500 LOAD_PUTS=20 bash scripts/congress-load.sh
#   LOAD_PG_URL=postgres://postgres@127.0.0.1:5432/postgres bash scripts/congress-load.sh
#
# Settings (environment):
#   LOAD_CLIENTS   event-stream clients (5000)
#   LOAD_PUTS      writes measured (100), one every LOAD_INTERVAL (500ms)
#   LOAD_WARMUP    seconds the server is left alone, once ready and its
#                  feedback classifier trained, before the clients connect
#                  (15): what it did before does not count as theirs
#   LOAD_JSON      1: the generator prints one JSON object
#   LOAD_PG_URL    a PostgreSQL server whose user may create databases
#                  (postgres://USER@HOST:PORT/DB); the run then uses a new
#                  database there instead of SQLite
#   LOAD_OUT       keep the server's log here
#   MATTRANSO_SHARED  shared data (default ../shared): the unit tree's CSV
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
SHARED=$(realpath -m "${MATTRANSO_SHARED:-$ROOT/../shared}")
UNITS=$SHARED/data/admin-units/vn_admin_units_flat.csv
CLIENTS=${LOAD_CLIENTS:-5000}
PUTS=${LOAD_PUTS:-100}
INTERVAL=${LOAD_INTERVAL:-500ms}
PGBIN=/usr/lib/postgresql/15/bin

say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
die() { printf 'scripts/congress-load.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
command -v curl >/dev/null || die "curl is not on PATH"
[[ -f $UNITS ]] || die "no unit tree at $UNITS (set MATTRANSO_SHARED)"
[[ $CLIENTS =~ ^[1-9][0-9]*$ && $PUTS =~ ^[1-9][0-9]*$ ]] || die "LOAD_CLIENTS and LOAD_PUTS must be positive whole numbers"
# Each client is a connection on both sides: descriptors for both.
need=$((CLIENTS + 200))
if (($(ulimit -n) < need)); then
	ulimit -n "$need" 2>/dev/null || die "open files limit $(ulimit -n) is below $need: raise it (ulimit -Hn is $(ulimit -Hn))"
fi

TMP=$(mktemp -d -t mattranso-congress-load.XXXXXX)
OUT=${LOAD_OUT:-$TMP/out}
mkdir -p "$OUT"
BIN=$TMP/mattranso
server_pid= database= pg_admin=

cleanup() {
	local status=$?
	if [[ -n $server_pid ]]; then
		kill -TERM "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	if [[ -n $database ]]; then
		"$PGBIN/psql" -X -q "$pg_admin" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

source "$ROOT/scripts/lib.sh"

say "go build -o $BIN ./cmd/mattranso"
go build -o "$BIN" ./cmd/mattranso

export MATTRANSO_DATA=$TMP/data MATTRANSO_INGEST=none MATTRANSO_SEARCH_MODE=keyword MATTRANSO_TRAIN_PAIRS=none LOG_LEVEL=info
unset DATABASE_URL
if [[ -n ${LOAD_PG_URL:-} ]]; then
	[[ -x $PGBIN/psql ]] || die "no $PGBIN/psql: install postgresql-15"
	pg_admin=$LOAD_PG_URL
	database=congress_load_$$
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$pg_admin" -c "CREATE DATABASE $database" >/dev/null || die "cannot create a database on $pg_admin"
	base=${pg_admin%%\?*} query=
	[[ $pg_admin == *\?* ]] && query="?${pg_admin#*\?}"
	export DATABASE_URL="${base%/*}/$database$query"
fi

say "unit tree, a reporter for the whole country and their token"
"$BIN" admin import-units "$UNITS" >/dev/null
"$BIN" admin grant --email tai.thu@mattranso.test --role reporter --unit VN/MTTQ >/dev/null
TOKEN=$("$BIN" admin token create --email tai.thu@mattranso.test --role reporter --unit VN/MTTQ --ttl 24h 2>/dev/null)

port=$(free_port)
log=$OUT/server.log
say "serve on 127.0.0.1:$port (${DATABASE_URL:+PostgreSQL}${DATABASE_URL:-SQLite})"
"$BIN" serve --addr "127.0.0.1:$port" >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 480); do
	kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; die "the server exited at start"; }
	[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/readyz") == 200 ]] && break
	sleep 0.25
done

# The feedback classifier trains in the background of a fresh server:
# its memory is not the clients'.
say "the server is ready; waiting for its feedback classifier"
for _ in $(seq 1200); do
	grep -q "topic classifier trained" "$log" && break
	kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; die "the server exited"; }
	sleep 0.5
done
WARMUP=${LOAD_WARMUP:-15}
say "left alone for ${WARMUP}s"
sleep "$WARMUP"
kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; die "the server exited"; }
say "eval congress-load: $CLIENTS clients, $PUTS writes"
json=()
[[ ${LOAD_JSON:-} == 1 ]] && json=(--json)
"$BIN" eval congress-load --url "http://127.0.0.1:$port" --token "$TOKEN" --clients "$CLIENTS" --puts "$PUTS" \
	--interval "$INTERVAL" --territory 79 "${json[@]}"
kill -0 "$server_pid" 2>/dev/null || { cat "$log" >&2; die "the server died during the run"; }
