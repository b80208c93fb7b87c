#!/usr/bin/env bash
# The project's test command: installs what the tests drive (PostgreSQL 15,
# Chromium, nginx) when missing, builds Dex (cached), starts a throwaway PostgreSQL
# cluster, builds the library the library-scale checks read, runs `go vet`
# and `go test -count=1` (under the race detector, see below), for the
# whole suite then the feedback load test (scripts/feedback-load.sh), and
# removes everything it started. With CI set (.ci/run sets it) a test that misses
# anything of this fails instead of being skipped.
#
#   bash scripts/test.sh                      # every package, and the load test
#   bash scripts/test.sh ./store/... -run X   # package patterns replace ./...;
#                                             # other arguments go to go test
#
# Made for Debian 12 as root (apt-get, runuser); as another user it runs
# PostgreSQL as that user and can install nothing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"

PGBIN=/usr/lib/postgresql/15/bin
CHROMIUM=/usr/bin/chromium
NGINX=/usr/sbin/nginx

say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"

# --- install what is missing -------------------------------------------------
missing=()
[[ -x $PGBIN/initdb ]] || missing+=(postgresql-15)
[[ -x $CHROMIUM ]] || missing+=(chromium fonts-dejavu-core)
[[ -x $NGINX ]] || missing+=(nginx-light)
if ((${#missing[@]})); then
	[[ $EUID -eq 0 ]] || die "missing ${missing[*]}; run as root to install them, or install them yourself"
	say "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- throwaway PostgreSQL 15 ---------------------------------------------------
TMP=$(mktemp -d -t mattranso-test.XXXXXX)
PGDATA=$TMP/data
PGSOCK=$TMP/socket
PGLOG=$TMP/postgres.log
pg_started=

# as_pg runs a PostgreSQL program as a user it accepts: it refuses root.
as_pg() {
	if [[ $EUID -eq 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cleanup() {
	local status=$?
	for pid in ${ingest_pid:-} ${checks_pid:-}; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [[ -n $pg_started ]]; then
		as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate -w stop >/dev/null 2>&1 || true
	fi
	rm -rf "$TMP"
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$PGDATA" "$PGSOCK"
if [[ $EUID -eq 0 ]]; then
	id postgres >/dev/null 2>&1 || die "no postgres user: is the postgresql-15 package installed?"
	chown -R postgres:postgres "$TMP"
fi

as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 -N >"$TMP/initdb.log" 2>&1 ||
	{ cat "$TMP/initdb.log" >&2; die "initdb failed"; }

source "$ROOT/scripts/lib.sh"

for attempt in 1 2 3; do
	PGPORT=$(free_port)
	say "starting PostgreSQL 15 on 127.0.0.1:$PGPORT"
	# fsync off: the cluster is thrown away, and tests create many databases.
	if as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGLOG" -w -t 60 -o \
		"-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGSOCK -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null; then
		pg_started=1
		break
	fi
	[[ $attempt -lt 3 ]] || { cat "$PGLOG" >&2; die "PostgreSQL did not start"; }
done
for _ in $(seq 60); do
	"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres && break
	sleep 0.5
done
"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PGPORT" -U postgres ||
	{ cat "$PGLOG" >&2; die "PostgreSQL is not ready"; }

# --- Dex (OIDC) ----------------------------------------------------------------
# The sign-on tests start their own Dex (auth/dextest: memory storage, a
# static client for the test's callback URL, static password users) and stop
# it themselves. Here it is only built, from the scripts/dex module (its own
# go.mod keeps Dex's dependencies out of ours), into a cache outside the
# repository named after the pinned Dex commit: about 5 minutes cold with
# downloads, nothing once cached.
if [[ -z ${MATTRANSO_TEST_DEX:-} ]]; then
	dex_version=$(awk '{ for (i = 1; i < NF; i++) if ($i == "github.com/dexidp/dex") { print $(i + 1); exit } }' scripts/dex/go.mod)
	[[ -n $dex_version ]] || die "scripts/dex/go.mod does not require github.com/dexidp/dex"
	dex_dir=${XDG_CACHE_HOME:-$HOME/.cache}/mattranso/dex-${dex_version##*-}
	if [[ ! -x $dex_dir/dex ]]; then
		say "building Dex ${dex_version} into $dex_dir (a few minutes, once)"
		mkdir -p "$dex_dir"
		(cd scripts/dex && go build -o "$dex_dir/dex.$$" github.com/dexidp/dex/cmd/dex) ||
			{ rm -f "$dex_dir/dex.$$"; die "building Dex failed"; }
		mv -f "$dex_dir/dex.$$" "$dex_dir/dex"
	fi
	MATTRANSO_TEST_DEX=$dex_dir/dex
fi
export MATTRANSO_TEST_DEX

export MATTRANSO_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
export MATTRANSO_TEST_CHROMIUM=$CHROMIUM
export MATTRANSO_TEST_NGINX=$NGINX
export MATTRANSO_SHARED
MATTRANSO_SHARED=$(realpath -m "$ROOT/../shared")
export MATTRANSO_REQUIRE_POSTGRES=1
[[ -d $MATTRANSO_SHARED ]] || say "warning: $MATTRANSO_SHARED does not exist; tests that read shared data will fail or skip"

# --- packages and flags ----------------------------------------------------------
# Package patterns among the arguments replace ./... for both vet and test
# (give flag values as -flag=value so they are not taken for packages); the
# other arguments go to every `go test` below, after its own flags, so that
# they win (-race=false, -timeout=1h). A -run pattern is also read here, to
# know whether the library-scale checks are among the tests asked for, and
# a -skip, which replaces the race pass's own.
pkgs=()
flags=()
user_run= user_skip=
prev=
for a in "$@"; do
	case $a in
	. | ./* | ../* | github.com/mattranso/*) pkgs+=("$a") ;;
	*) flags+=("$a") ;;
	esac
	case $prev in -run | --run) user_run=$a ;; -skip | --skip) user_skip=1 ;; esac
	case $a in -run=* | --run=*) user_run=${a#*=} ;; -skip=* | --skip=*) user_skip=1 ;; esac
	prev=$a
done
whole=
((${#pkgs[@]})) || { pkgs=(./...); whole=1; }
# Flags after -args go to the test binaries; ours must come before it.
pre=() post=()
for i in "${!flags[@]}"; do
	if [[ ${flags[$i]} == -args ]]; then
		post=("${flags[@]:i}")
		break
	fi
	pre+=("${flags[$i]}")
done
listing=$(go list "${pkgs[@]}") || die "no packages: ${pkgs[*]}"
mapfile -t listed <<<"$listing"

# Every package runs twice: under the race detector with -short, which
# leaves out the tests that index whole data sets, train the topic
# classifier from the taxonomy, drive Chromium, spawn servers or sweep the
# authorization matrix (the detector slows them five- to tenfold, past the
# budget of a run, and finds nothing in their sequential requests that
# the short tests of the same code do not exercise), then without it and
# without -short, which runs everything.
M=github.com/mattranso/mattranso
plain_pkgs=() retrieval_pkgs=()
for p in "${listed[@]}"; do
	plain_pkgs+=("$p")
	case $p in $M/retrieval | $M/retrieval/*) retrieval_pkgs+=("$p") ;; esac
done

# --- the library of the library-scale checks ----------------------------------------
# The library-scale checks, tests named Test…OnLibrary or Test…OnBenchData
# in the retrieval packages, hold the in-memory ranking to bleve, the
# cached tokens to tokenizing and the vector scan to exact on real laws;
# most read the library that `mattranso ingest` makes of the whole shared
# corpus (as scripts/bench.sh makes it), named by MATTRANSO_BENCH_DATA.
# When such checks are among the tests asked for and MATTRANSO_BENCH_DATA
# names no library, one is built afresh (it depends on the code), in the
# background while `go vet` and the race passes run. The checks run in a
# pass of their own without the race detector, which makes bleve seven
# times slower; the same comparisons on small indexes run under it.
LIBRARY_CHECKS='^Test[A-Za-z0-9]*On(Library|BenchData)$'
library_checks=() library_pkgs=()
if ((${#retrieval_pkgs[@]})); then
	# `go test -list` prints a package's matching tests, then "ok  PACKAGE".
	found=0
	while read -r line; do
		if [[ $line =~ $LIBRARY_CHECKS ]]; then
			library_checks+=("$line")
			found=1
		elif [[ $line == ok* ]] && ((found)); then
			read -r _ p _ <<<"$line"
			library_pkgs+=("$p")
			found=0
		fi
	done < <(go test -list "${user_run:-.}" "${retrieval_pkgs[@]}" 2>/dev/null || true)
fi
ingest_pid=
if ((${#library_pkgs[@]})) && [[ -z ${MATTRANSO_BENCH_DATA:-} ]]; then
	say "building the library of the library-scale checks: mattranso ingest $MATTRANSO_SHARED/corpus"
	go build -o "$TMP/mattranso" ./cmd/mattranso
	MATTRANSO_BENCH_DATA=$TMP/library
	"$TMP/mattranso" ingest --data "$MATTRANSO_BENCH_DATA" "$MATTRANSO_SHARED/corpus" >"$TMP/ingest.log" 2>&1 &
	ingest_pid=$!
fi

# --- vet ---------------------------------------------------------------------------
say "go vet ${pkgs[*]}"
go vet "${pkgs[@]}"

# library_ready waits for the library being built and names it to the tests.
library_ready() {
	if [[ -n $ingest_pid ]]; then
		wait "$ingest_pid" || { cat "$TMP/ingest.log" >&2; die "building the library failed"; }
		ingest_pid=
		# Without its local embedder the vector checks would train one each.
		[[ -d $MATTRANSO_BENCH_DATA/index/local ]] ||
			{ cat "$TMP/ingest.log" >&2; die "the library in $MATTRANSO_BENCH_DATA has no local embedder (index/local)"; }
		say "library built: $(grep '^ingest:' "$TMP/ingest.log" | tail -1)"
	fi
	[[ -z ${MATTRANSO_BENCH_DATA:-} ]] || export MATTRANSO_BENCH_DATA
}

# --- test --------------------------------------------------------------------------
# Every pass runs even when one fails; the script fails if any did. The
# race pass leaves the library-scale checks out and starts while the
# library is still being built (unless a -skip of the caller's replaces
# that); the checks, mostly one search after another, run beside the last
# pass, their output shown when they end.
TIMEOUT=-timeout=15m
status=0
run() {
	say "go test $*"
	go test "$@" || status=1
}
[[ -z $user_skip ]] || library_ready
if ((${#plain_pkgs[@]})); then
	run -count=1 -race "$TIMEOUT" -short -skip "$LIBRARY_CHECKS" "${plain_pkgs[@]}" "${flags[@]}"
fi
checks_pid=
if ((${#library_pkgs[@]})); then
	library_ready
	checks=(-count=1 "$TIMEOUT" "${library_pkgs[@]}" "${pre[@]}" -run "^($(
		IFS='|'
		echo "${library_checks[*]}"
	))\$" "${post[@]}")
	say "go test ${checks[*]} (in the background)"
	go test "${checks[@]}" >"$TMP/checks.out" 2>&1 &
	checks_pid=$!
fi
if ((${#plain_pkgs[@]})); then
	run -count=1 "$TIMEOUT" -skip "$LIBRARY_CHECKS" "${plain_pkgs[@]}" "${flags[@]}"
fi
if [[ -n $checks_pid ]]; then
	checks_status=0
	wait "$checks_pid" || checks_status=$?
	checks_pid=
	say "the library-scale checks:"
	cat "$TMP/checks.out"
	((checks_status == 0)) || status=1
fi

# --- the feedback load test ----------------------------------------------------------
# When the whole suite runs (no package patterns, no -run), last and alone:
# serve on SQLite and on the PostgreSQL above, 200 clients for 60 s, the
# server killed with SIGKILL three times each run; a submission lost or
# stored twice, or a server dying by itself, fails the run (BENCHMARKS.md,
# "Feedback intake under load"; this cluster runs with fsync off, which a
# kill of the server does not touch).
if [[ -n $whole && -z $user_run ]]; then
	say "the feedback load test: bash scripts/feedback-load.sh"
	LOAD_DBS="sqlite postgres" LOAD_MODES=durable LOAD_SECONDS=60 LOAD_CLIENTS=200 LOAD_KILLS=3 \
		bash scripts/feedback-load.sh || status=1
fi
exit "$status"
