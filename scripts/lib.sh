# Shell functions the project's scripts share; sourced, not run. The
# caller defines die MESSAGE (print and exit non-zero).

# free_port prints a loopback TCP port nothing answers on. Another process
# may take it before the caller does, so callers that start a server retry.
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

# wait_learned BASE PID SECONDS: until a search on BASE no longer says that
# its vector side is still learning (serve is ready on keywords first, and
# learns in the background: a measurement started earlier would time the
# learning too), the process dies, or time runs out.
wait_learned() {
	local base=$1 pid=$2 secs=$3
	for _ in $(seq $((secs * 2))); do
		kill -0 "$pid" 2>/dev/null || return 1
		curl -s --max-time 5 "$base/api/v1/library/search?q=luat" | grep -q learning || return 0
		sleep 0.5
	done
	return 1
}
