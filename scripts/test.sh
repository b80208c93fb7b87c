#!/usr/bin/env bash
# The project's test command: installs what the tests drive (PostgreSQL 15,
# Chromium) when missing, starts a throwaway PostgreSQL cluster, runs
# `go vet` and `go test -count=1`, and removes everything it started.
#
#   bash scripts/test.sh                      # every package
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

say() { printf '==> %s\n' "$*"; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"

# --- install what is missing -------------------------------------------------
missing=()
[[ -x $PGBIN/initdb ]] || missing+=(postgresql-15)
[[ -x $CHROMIUM ]] || missing+=(chromium fonts-dejavu-core)
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
	# --- later: stop Dex here ---
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

# A port is free when nothing answers on it; another process may take it
# before PostgreSQL does, so starting is retried on a new port.
free_port() {
	local port
	for _ in $(seq 50); do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return
		fi
	done
	die "no free port found"
}

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
# TODO(auth): build Dex (cached), start it on 127.0.0.1 with memory storage,
# a static client and a static password user, wait until it serves
# /.well-known/openid-configuration, export its issuer for the tests, and
# stop it in cleanup() above.

export MATTRANSO_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres?sslmode=disable"
export MATTRANSO_TEST_CHROMIUM=$CHROMIUM
export MATTRANSO_SHARED
MATTRANSO_SHARED=$(realpath -m "$ROOT/../shared")
export MATTRANSO_REQUIRE_POSTGRES=1
[[ -d $MATTRANSO_SHARED ]] || say "warning: $MATTRANSO_SHARED does not exist; tests that read shared data will fail or skip"

# --- vet and test ----------------------------------------------------------------
# Package patterns among the arguments replace ./... for both vet and test
# (give flag values as -flag=value so they are not taken for packages).
pkgs=()
for a in "$@"; do
	case $a in
	. | ./* | ../* | github.com/mattranso/*) pkgs+=("$a") ;;
	esac
done
args=("$@")
if ((${#pkgs[@]} == 0)); then
	pkgs=(./...)
	args+=(./...)
fi

say "go vet ${pkgs[*]}"
go vet "${pkgs[@]}"

say "go test -count=1 ${args[*]}"
status=0
go test -count=1 "${args[@]}" || status=$?
exit "$status"
