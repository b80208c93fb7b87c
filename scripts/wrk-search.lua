-- wrk script for scripts/bench.sh: cycles through a query mix, one query a
-- line in a file made at run time (mattranso eval query-mix), asking
-- GET /api/v1/library/search?q=…&limit=… of the server under test.
--
--   wrk -t2 -c32 -d30s --latency -s scripts/wrk-search.lua \
--       http://127.0.0.1:8080 -- /tmp/mix.txt [LIMIT]
--
-- Each thread starts at a different place in the mix. At the end one line
-- "WRK_SUMMARY key=value …" is printed for the script to parse (latencies
-- in microseconds).

local threads = {}

function setup(thread)
	thread:set("id", #threads)
	table.insert(threads, thread)
end

local function urlencode(s)
	return (s:gsub("[^%w%-%._~]", function(c)
		return string.format("%%%02X", string.byte(c))
	end))
end

local paths = {}
local pos = 0

function init(args)
	local file = args[1]
	if not file then
		error("wrk-search.lua: give the query file after --")
	end
	local limit = args[2] or "10"
	local f = assert(io.open(file, "r"))
	for line in f:lines() do
		if #line > 0 then
			paths[#paths + 1] = "/api/v1/library/search?limit=" .. limit .. "&q=" .. urlencode(line)
		end
	end
	f:close()
	if #paths == 0 then
		error("wrk-search.lua: no queries in " .. file)
	end
	-- Spread the threads over the mix (golden-ratio offsets).
	pos = math.floor((id or 0) * #paths * 0.618) % #paths
end

function request()
	pos = pos % #paths + 1
	return wrk.format("GET", paths[pos])
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"WRK_SUMMARY requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.0f non2xx=%d timeout=%d connect=%d read=%d write=%d\n",
		summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
		latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
		e.status, e.timeout, e.connect, e.read, e.write))
end
