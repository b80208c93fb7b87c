package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// evalCongressLoad runs "eval congress-load": the load test of the
// congress dashboard's event stream against a running server
// (scripts/congress-load.sh starts one). It opens --clients event-stream
// clients and keeps them idle, reads the server's memory from /metrics
// before and after (the memory per idle connection), then writes a
// congress --puts times through PATCH and measures, for each write, the
// delay from sending it to its event on the last client opened and on
// every client.
func evalCongressLoad(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval congress-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := congressLoad{}
	fs.StringVar(&o.URL, "url", "", "the server, e.g. http://127.0.0.1:8080")
	fs.StringVar(&o.Token, "token", "", "a bearer token with congress.write on the territory")
	fs.StringVar(&o.Term, "term", "2026-2031", "the term")
	fs.StringVar(&o.Territory, "territory", "79", "the congress written: a province or commune code the token may write")
	fs.IntVar(&o.Clients, "clients", 5000, "event-stream clients held open")
	fs.IntVar(&o.Puts, "puts", 100, "writes measured")
	fs.DurationVar(&o.Interval, "interval", 500*time.Millisecond, "pause between writes (longer than the stream's batching, 250 ms)")
	fs.IntVar(&o.Rate, "connect-rate", 1000, "clients opened per second")
	fs.DurationVar(&o.Settle, "settle", 10*time.Second, "how long the clients stay idle before the memory is read (after the server's next garbage collection)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the summary")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	switch {
	case o.URL == "":
		return exitError{2, errors.New("eval congress-load: --url of the server is required")}
	case o.Token == "":
		return exitError{2, errors.New("eval congress-load: --token is required: `mattranso admin token create` makes one")}
	case o.Clients < 1 || o.Clients > 50000:
		return exitError{2, fmt.Errorf("eval congress-load: --clients %d: want 1 to 50000", o.Clients)}
	case o.Puts < 1 || o.Interval <= 0 || o.Rate < 1 || o.Settle < 0:
		return exitError{2, errors.New("eval congress-load: --puts, --interval and --connect-rate must be positive, --settle not negative")}
	}
	o.URL = strings.TrimRight(o.URL, "/")
	o.Log = stderr
	res, err := o.run(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprint(stdout, res.text())
	return nil
}

type congressLoad struct {
	URL, Token, Term, Territory string
	Clients, Puts, Rate         int
	Interval, Settle            time.Duration
	Log                         io.Writer
}

// loadResult is what a run measured.
type loadResult struct {
	Clients   int `json:"clients"`
	Connected int `json:"connected"`
	Refused   int `json:"refused"` // 503 answers retried
	Puts      int `json:"puts"`
	// The server's memory before and after the clients connected.
	Before, Idle serverMemory `json:"-"`
	// Per idle connection, in KiB: the resident set, the live heap and
	// the stacks, the stacks alone.
	RSSPerConnKiB   float64 `json:"rss_per_conn_kib"`
	HeapPerConnKiB  float64 `json:"heap_stack_per_conn_kib"`
	StackPerConnKiB float64 `json:"stack_per_conn_kib"`
	// PUT → event delays in milliseconds: on the last client opened, and
	// until every client had it.
	Delays struct {
		LastClient delayStats `json:"last_client_ms"`
		AllClients delayStats `json:"all_clients_ms"`
	} `json:"delays"`
	Missing int `json:"missing"` // events some client never got
}

type delayStats struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type serverMemory struct {
	RSS, Heap, Stack, Goroutines, GCs float64
}

func (r loadResult) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "clients: %d connected of %d (%d refusals retried)\n", r.Connected, r.Clients, r.Refused)
	fmt.Fprintf(&b, "server memory per idle connection: %.1f KiB resident, %.1f KiB live heap and stacks, of which %.1f KiB stacks (goroutines %.0f → %.0f)\n",
		r.RSSPerConnKiB, r.HeapPerConnKiB, r.StackPerConnKiB, r.Before.Goroutines, r.Idle.Goroutines)
	fmt.Fprintf(&b, "PUT → event, last client opened: p50 %.0f ms, p99 %.0f ms, max %.0f ms (%d writes)\n",
		r.Delays.LastClient.P50, r.Delays.LastClient.P99, r.Delays.LastClient.Max, r.Puts)
	fmt.Fprintf(&b, "PUT → event on every client:     p50 %.0f ms, p99 %.0f ms, max %.0f ms\n",
		r.Delays.AllClients.P50, r.Delays.AllClients.P99, r.Delays.AllClients.Max)
	if r.Missing > 0 {
		fmt.Fprintf(&b, "events missing: %d (client × write)\n", r.Missing)
	}
	return b.String()
}

// readMemory reads the server's process and Go memory from /metrics.
func (o *congressLoad) readMemory(ctx context.Context, c *http.Client) (serverMemory, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, o.URL+"/metrics", nil)
	resp, err := c.Do(req)
	if err != nil {
		return serverMemory{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return serverMemory{}, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	var m serverMemory
	found := 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		var dst *float64
		switch name {
		case "process_resident_memory_bytes":
			dst = &m.RSS
		case "go_gc_heap_live_bytes":
			dst = &m.Heap
		case "go_memstats_stack_inuse_bytes":
			dst = &m.Stack
		case "go_goroutines":
			dst = &m.Goroutines
		case "go_gc_duration_seconds_count":
			dst = &m.GCs
		default:
			continue
		}
		if *dst, err = strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
			found++
		}
	}
	if found < 5 {
		return m, errors.New("GET /metrics: the process and Go memory figures are missing (go_gc_heap_live_bytes among them)")
	}
	return m, sc.Err()
}

// memoryAfterGC waits for the server's next garbage collection (an idle
// server's runtime runs one every two minutes) and reads its memory after
// it: the live heap that collection found, stacks, the resident set.
func (o *congressLoad) memoryAfterGC(ctx context.Context, c *http.Client) (serverMemory, error) {
	first, err := o.readMemory(ctx, c)
	if err != nil {
		return first, err
	}
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); {
		select {
		case <-ctx.Done():
			return first, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
		m, err := o.readMemory(ctx, c)
		if err != nil {
			return m, err
		}
		if m.GCs > first.GCs {
			return m, nil
		}
	}
	return first, errors.New("the server ran no garbage collection in 3 minutes")
}

// marker is what each write puts in the congress's place, numbered: the
// clients find the write's number in the event without decoding it.
const marker = "do-tai-"

func (o *congressLoad) run(ctx context.Context) (loadResult, error) {
	res := loadResult{Clients: o.Clients, Puts: o.Puts}
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 16,
		DisableCompression:  true,
	}
	plain := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	stream := &http.Client{Transport: tr} // no timeout: the streams stay open

	// The baseline is taken once the live heap has settled: what the
	// server did before (starting, training its classifier) may still
	// be freed over the next collections.
	fmt.Fprintf(o.Log, "congress-load: the server's memory once its live heap settles\n")
	before, err := o.memoryAfterGC(ctx, plain)
	for range 2 {
		if err != nil {
			return res, err
		}
		next, err2 := o.memoryAfterGC(ctx, plain)
		if err2 != nil {
			return res, err2
		}
		settled := math.Abs(next.Heap-before.Heap) <= 0.02*before.Heap
		before = next
		if settled {
			break
		}
	}
	res.Before = before

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sent := make([]atomic.Int64, o.Puts+1)       // unix nanoseconds of each write's sending
	lastClient := make([]atomic.Int64, o.Puts+1) // arrival on the last client opened
	latest := make([]atomic.Int64, o.Puts+1)     // the latest arrival on any client
	got := make([]atomic.Int32, o.Puts+1)        // clients that had it
	var connected, refused atomic.Int32
	var wg sync.WaitGroup
	events := o.URL + "/api/v1/congress/" + o.Term + "/events"
	tick := time.NewTicker(time.Second / time.Duration(o.Rate))
	defer tick.Stop()
	fmt.Fprintf(o.Log, "congress-load: opening %d clients at %d a second\n", o.Clients, o.Rate)
	for i := range o.Clients {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-tick.C:
		}
		wg.Go(func() {
			o.client(ctx, stream, events, i == o.Clients-1, &connected, &refused, sent, lastClient, latest, got)
		})
	}
	for deadline := time.Now().Add(5 * time.Minute); int(connected.Load()) < o.Clients; {
		if time.Now().After(deadline) {
			return res, fmt.Errorf("only %d of %d clients connected in 5 minutes", connected.Load(), o.Clients)
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.Connected, res.Refused = int(connected.Load()), int(refused.Load())
	fmt.Fprintf(o.Log, "congress-load: %d clients connected; idle for %s, then the memory after the server's next collection\n", res.Connected, o.Settle)
	time.Sleep(o.Settle)
	idle, err := o.memoryAfterGC(ctx, plain)
	if err != nil {
		return res, err
	}
	res.Idle = idle
	n := float64(res.Connected)
	res.RSSPerConnKiB = (idle.RSS - before.RSS) / n / 1024
	res.HeapPerConnKiB = (idle.Heap + idle.Stack - before.Heap - before.Stack) / n / 1024
	res.StackPerConnKiB = (idle.Stack - before.Stack) / n / 1024

	fmt.Fprintf(o.Log, "congress-load: %d writes, one every %s\n", o.Puts, o.Interval)
	target := o.URL + "/api/v1/congress/" + o.Term + "/congresses/" + o.Territory
	for seq := 1; seq <= o.Puts; seq++ {
		body := `{"place":"` + marker + strconv.Itoa(seq) + `"}`
		req, _ := http.NewRequestWithContext(ctx, http.MethodPatch, target, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+o.Token)
		sent[seq].Store(time.Now().UnixNano())
		resp, err := plain.Do(req)
		if err != nil {
			return res, err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return res, fmt.Errorf("PATCH %s: %s %s", target, resp.Status, b)
		}
		time.Sleep(o.Interval)
	}
	// The last writes' events, given time to arrive everywhere.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if int(got[o.Puts].Load()) >= res.Connected {
			break
		}
	}
	cancel()
	wg.Wait()

	var last, all []float64
	for seq := 1; seq <= o.Puts; seq++ {
		s := sent[seq].Load()
		if t := lastClient[seq].Load(); t > 0 {
			last = append(last, float64(t-s)/1e6)
		}
		if int(got[seq].Load()) < res.Connected {
			res.Missing += res.Connected - int(got[seq].Load())
			continue
		}
		all = append(all, float64(latest[seq].Load()-s)/1e6)
	}
	res.Delays.LastClient = delayStatsOf(last)
	res.Delays.AllClients = delayStatsOf(all)
	return res, nil
}

func delayStatsOf(ms []float64) delayStats {
	if len(ms) == 0 {
		return delayStats{P50: math.NaN(), P99: math.NaN(), Max: math.NaN()}
	}
	slices.Sort(ms)
	at := func(q float64) float64 { return ms[min(len(ms)-1, int(math.Ceil(q*float64(len(ms))))-1)] }
	return delayStats{P50: at(0.50), P99: at(0.99), Max: ms[len(ms)-1]}
}

// client holds one event stream open until ctx ends, retrying a refusal
// after its Retry-After, and records when each write's event arrives.
func (o *congressLoad) client(ctx context.Context, c *http.Client, url string, observer bool,
	connected, refused *atomic.Int32, sent, lastClient, latest []atomic.Int64, got []atomic.Int32) {
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		req.Header.Set("Accept", "text/event-stream")
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() == nil {
				time.Sleep(time.Second)
			}
			continue
		}
		if resp.StatusCode == http.StatusServiceUnavailable {
			refused.Add(1)
			resp.Body.Close()
			wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
			time.Sleep(time.Duration(max(wait, 1)) * time.Second)
			continue
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			fmt.Fprintf(o.Log, "congress-load: events: %s\n", resp.Status)
			return
		}
		o.read(resp.Body, observer, connected, sent, lastClient, latest, got)
		resp.Body.Close()
		return
	}
}

func (o *congressLoad) read(body io.Reader, observer bool, connected *atomic.Int32, sent, lastClient, latest []atomic.Int64, got []atomic.Int32) {
	r := bufio.NewReaderSize(body, 4096)
	counted := false
	seen := make([]bool, len(sent))
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
		if !counted && bytes.HasPrefix(line, []byte(": connected")) {
			counted = true
			connected.Add(1)
		}
		if !bytes.HasPrefix(line, []byte("data: ")) {
			continue
		}
		i := bytes.Index(line, []byte(`"place":"`+marker))
		if i < 0 {
			continue
		}
		rest := line[i+len(`"place":"`+marker):]
		j := bytes.IndexByte(rest, '"')
		seq, err := strconv.Atoi(string(rest[:max(j, 0)]))
		if err != nil || seq < 1 || seq >= len(sent) || seen[seq] {
			continue
		}
		seen[seq] = true
		now := time.Now().UnixNano()
		if observer {
			lastClient[seq].Store(now)
		}
		got[seq].Add(1)
		for {
			prev := latest[seq].Load()
			if now <= prev || latest[seq].CompareAndSwap(prev, now) {
				break
			}
		}
	}
}
