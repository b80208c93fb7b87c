#!/usr/bin/env bash
# The load test of citizen feedback's intake (BENCHMARKS.md, "Feedback
# intake under load"). For each database and durability mode asked for it
# starts `mattranso serve` on a new data directory (the unit tree imported,
# no library), sends submissions from LOAD_CLIENTS concurrent clients for
# LOAD_SECONDS with `mattranso eval feedback-load`, kills the server with
# SIGKILL LOAD_KILLS times meanwhile at spread-out moments and restarts it
# on the same data each time; the generator then checks that every
# acknowledged tracking code is retrievable and that nothing is stored
# twice. The script fails when a check fails, or when the server dies of
# anything but its kills (its log is shown then).
#
#   bash scripts/feedback-load.sh                                  # durable, SQLite and PostgreSQL
#   LOAD_MODES="durable relaxed" bash scripts/feedback-load.sh     # BENCHMARKS.md's comparison
#
# Settings (environment):
#   LOAD_SECONDS   how long new submissions are sent (60)
#   LOAD_CLIENTS   concurrent submitters (200)
#   LOAD_KILLS     SIGKILLs of the server during a run (3)
#   LOAD_DBS       databases: "sqlite postgres"
#   LOAD_MODES     "durable" (MATTRANSO_FEEDBACK_DURABILITY=full) and/or
#                  "relaxed" (MATTRANSO_FEEDBACK_DURABILITY=relaxed), in the order
#                  given, repeats allowed ("durable relaxed durable relaxed"
#                  alternates rounds): "durable"
#   LOAD_PHOTOS    share of the submissions sent as multipart with a photo (0.05)
#   LOAD_OUT       keep the servers' logs and the generator's output here
#   LOAD_PG_URL    a PostgreSQL server (postgres://USER@HOST:PORT/DB?…) whose
#                  user may create databases; else MATTRANSO_TEST_DATABASE_URL
#                  (scripts/test.sh sets it); else a throwaway PostgreSQL 15
#                  cluster is started here with its default durability (fsync
#                  on), as a benchmark needs
#   MATTRANSO_SHARED  shared data (default ../shared): the unit tree's CSV
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
SHARED=$(realpath -m "${MATTRANSO_SHARED:-$ROOT/../shared}")
UNITS=$SHARED/data/admin-units/vn_admin_units_flat.csv
SECONDS_RUN=${LOAD_SECONDS:-60}
CLIENTS=${LOAD_CLIENTS:-200}
KILLS=${LOAD_KILLS:-3}
DBS=${LOAD_DBS:-sqlite postgres}
MODES=${LOAD_MODES:-durable}
PHOTOS=${LOAD_PHOTOS:-0.05}
PGBIN=/usr/lib/postgresql/15/bin

say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }
die() { printf 'scripts/feedback-load.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
command -v curl >/dev/null || die "curl is not on PATH"
[[ -f $UNITS ]] || die "no unit tree at $UNITS (set MATTRANSO_SHARED)"
[[ $SECONDS_RUN =~ ^[1-9][0-9]*$ && $CLIENTS =~ ^[1-9][0-9]*$ && $KILLS =~ ^[0-9]+$ ]] ||
	die "LOAD_SECONDS and LOAD_CLIENTS must be positive whole numbers, LOAD_KILLS a whole number"
for m in $MODES; do [[ $m == durable || $m == relaxed ]] || die "LOAD_MODES: $m is neither durable nor relaxed"; done
for d in $DBS; do [[ $d == sqlite || $d == postgres ]] || die "LOAD_DBS: $d is neither sqlite nor postgres"; done

# --- work space and clean-up ---------------------------------------------------------
TMP=$(mktemp -d -t mattranso-feedback-load.XXXXXX)
OUT=${LOAD_OUT:-$TMP/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)
BIN=$TMP/mattranso
server_pid= gen_pid= pg_started= pg_url= PGTMP= databases=()

# as_pg runs a PostgreSQL program as a user it accepts: it refuses root.
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

psql_do() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 "$pg_url" -c "$1" >/dev/null; }

cleanup() {
	local status=$?
	for pid in $gen_pid $server_pid; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for db in "${databases[@]}"; do
		psql_do "DROP DATABASE IF EXISTS $db WITH (FORCE)" 2>/dev/null || true
	done
	if [[ -n $pg_started ]]; then
		as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP" ${PGTMP:+"$PGTMP"}
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

source "$ROOT/scripts/lib.sh"

# --- PostgreSQL ----------------------------------------------------------------------
if [[ " $DBS " == *" postgres "* ]]; then
	[[ -x $PGBIN/psql ]] || die "no $PGBIN/psql: install postgresql-15 (scripts/test.sh does)"
	pg_url=${LOAD_PG_URL:-${MATTRANSO_TEST_DATABASE_URL:-}}
	if [[ -z $pg_url ]]; then
		# A cluster of its own, as scripts/test.sh starts one, but with
		# PostgreSQL's default durability: the figures are of commits that
		# reach the disk.
		# Apart from $TMP, which only we may enter: the cluster runs as postgres.
		PGTMP=$(mktemp -d -t mattranso-feedback-pg.XXXXXX)
		mkdir -p "$PGTMP/data" "$PGTMP/socket"
		if [[ $EUID -eq 0 ]]; then
			id postgres >/dev/null 2>&1 || die "no postgres user: is the postgresql-15 package installed?"
			chown -R postgres:postgres "$PGTMP"
		fi
		as_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$TMP/initdb.log" 2>&1 ||
			{ cat "$TMP/initdb.log" >&2; die "initdb failed"; }
		for attempt in 1 2 3; do
			pgport=$(free_port)
			say "starting PostgreSQL 15 on 127.0.0.1:$pgport"
			if as_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/postgres.log" -w -t 60 -o \
				"-c listen_addresses=127.0.0.1 -p $pgport -k $PGTMP/socket -c max_connections=300" start >/dev/null; then
				pg_started=1
				break
			fi
			[[ $attempt -lt 3 ]] || { cat "$PGTMP/postgres.log" >&2; die "PostgreSQL did not start"; }
		done
		pg_url="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
	fi
	[[ $pg_url == postgres*://*/* ]] || die "the PostgreSQL URL must name a database: postgres://USER@HOST:PORT/DB"
fi

# pg_database NAME creates a database on the server and names its URL in
# DATABASE_URL.
pg_database() {
	psql_do "CREATE DATABASE $1" || die "cannot create database $1 on $pg_url"
	databases+=("$1")
	local base=${pg_url%%\?*} query=
	[[ $pg_url == *\?* ]] && query="?${pg_url#*\?}"
	export DATABASE_URL="${base%/*}/$1$query"
}

# --- build ---------------------------------------------------------------------------
say "go build -o $BIN ./cmd/mattranso"
go build -o "$BIN" ./cmd/mattranso

# --- one run -------------------------------------------------------------------------
# serve as the load test runs it: no library to ingest or search, no
# limit on submissions (all the clients share one address), few log lines.
export MATTRANSO_INGEST=none MATTRANSO_SEARCH_MODE=keyword MATTRANSO_TRAIN_PAIRS=none LOG_LEVEL=warn MATTRANSO_FEEDBACK_RATE=0

# start_server: starts serve on $data and $port, and waits until it answers.
# The first start may find that another process took the free port in the
# meantime (free_port cannot reserve it): it then tries another port. The
# restarts keep theirs, which the load generator is sending to.
start_server() {
	local n=$1 attempt
	for attempt in 1 2 3 4 5; do
		echo "--- start $n, $(date -u '+%H:%M:%S'), port $port" >>"$log"
		local from
		from=$(wc -l <"$log")
		"$BIN" serve --addr "127.0.0.1:$port" --data "$data" >>"$log" 2>&1 &
		server_pid=$!
		for _ in $(seq 240); do
			if ! kill -0 "$server_pid" 2>/dev/null; then
				if ((n == 1 && attempt < 5)) && tail -n "+$((from + 1))" "$log" | grep -q 'address already in use'; then
					port=$(free_port)
					continue 2
				fi
				cat "$log" >&2
				die "$label: the server exited at start $n"
			fi
			[[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/healthz") == 200 ]] && return 0
			sleep 0.25
		done
		cat "$log" >&2
		die "$label: the server did not answer within 60 s of start $n"
	done
}

# alive: fails the run, showing the server's log, when the server died of
# anything but a kill of ours.
alive() {
	kill -0 "$server_pid" 2>/dev/null && return 0
	wait "$server_pid" && rc=0 || rc=$?
	server_pid=
	cat "$log" >&2
	die "$label: the server died by itself (exit status $rc); its log is above"
}

# sleep_watching SECONDS: sleeps, checking that the server and the
# generator still run; returns early when the generator ended.
sleep_watching() {
	local until=$(($(date +%s%N) + $1 * 1000000000))
	while (($(date +%s%N) < until)); do
		alive
		kill -0 "$gen_pid" 2>/dev/null || return 0
		sleep 0.2
	done
}

results=()
status=0
runs=0
run() {
	local db=$1 mode=$2
	runs=$((runs + 1))
	label="$db, $mode"
	local dir=$OUT/$runs-$db-$mode
	rm -rf "$dir"
	mkdir -p "$dir"
	data=$TMP/$runs-$db-$mode/data
	log=$dir/server.log
	unset DATABASE_URL
	[[ $db == sqlite ]] || pg_database "feedback_load_${runs}_${mode}_$$"
	local durability=full
	[[ $mode == relaxed ]] && durability=relaxed
	export MATTRANSO_FEEDBACK_DURABILITY=$durability
	"$BIN" admin import-units --data "$data" "$UNITS" >"$dir/units.log" 2>&1 ||
		{ cat "$dir/units.log" >&2; die "$label: admin import-units failed"; }
	port=$(free_port)
	start_server 1
	# The first start trains the topic classifier and saves it; the
	# restarts read it back, as a deployed server does.
	for _ in $(seq 600); do
		[[ -s $data/topic/classifier.model ]] && break
		alive
		sleep 0.2
	done
	[[ -s $data/topic/classifier.model ]] || { cat "$log" >&2; die "$label: the topic classifier was not ready within 120 s"; }
	sleep 1 # the file is written before the classifier is put in service

	local load_before
	load_before=$(cut -d' ' -f1 /proc/loadavg)
	say "$label: $CLIENTS clients for $SECONDS_RUN s, $KILLS SIGKILLs of the server (load average $load_before)"
	"$BIN" eval feedback-load --url "http://127.0.0.1:$port" --data "$data" --clients "$CLIENTS" \
		--duration "${SECONDS_RUN}s" --photos "$PHOTOS" >"$dir/summary.txt" 2>"$dir/load.log" &
	gen_pid=$!
	local started
	started=$(date +%s%N)
	local k killed=0
	for ((k = 1; k <= KILLS; k++)); do
		# Spread over the run: the k-th kill near k/(KILLS+1) of it, give or
		# take a quarter of the gap between kills.
		local gap_ms=$((SECONDS_RUN * 1000 / (KILLS + 1)))
		local at_ms=$((k * gap_ms + (RANDOM % (gap_ms / 2 + 1)) - gap_ms / 4))
		local now_ms=$((($(date +%s%N) - started) / 1000000))
		((at_ms > now_ms)) && sleep_watching "$(((at_ms - now_ms + 999) / 1000))"
		kill -0 "$gen_pid" 2>/dev/null || break
		alive
		kill -KILL "$server_pid"
		wait "$server_pid" 2>/dev/null || true
		killed=$((killed + 1))
		say "$label: SIGKILL $killed at $((($(date +%s%N) - started) / 1000000000)) s; restarting"
		start_server $((k + 1))
	done
	while kill -0 "$gen_pid" 2>/dev/null; do
		alive
		sleep 0.5
	done
	local gen_status=0
	wait "$gen_pid" || gen_status=$?
	gen_pid=
	alive
	kill -TERM "$server_pid" 2>/dev/null || true
	wait "$server_pid" 2>/dev/null || true
	server_pid=
	local line
	line="$label, $killed SIGKILLs (load average $load_before → $(cut -d' ' -f1 /proc/loadavg)): $(cat "$dir/summary.txt")"
	results+=("$line")
	if ((gen_status != 0)); then
		cat "$dir/load.log" >&2
		echo "--- the server's log ($log):" >&2
		tail -n 50 "$log" >&2
		say "$label: FAILED"
		status=1
	elif ((killed < KILLS)); then
		say "$label: FAILED: the generator ended before the server was killed $KILLS times"
		status=1
	fi
	echo "$line"
}

say "machine: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
for db in $DBS; do
	for mode in $MODES; do
		run "$db" "$mode"
	done
done
say "summary:"
printf '%s\n' "${results[@]}" >&2
[[ -z ${LOAD_OUT:-} ]] || say "logs and outputs in $OUT"
exit "$status"
