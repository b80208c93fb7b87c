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
