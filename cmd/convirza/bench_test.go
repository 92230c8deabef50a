package main

// Benchmarks of `convirza calls export` against a bare Calls.All loop over
// the same 100,000 calls, and the export's peak live heap in pages. The
// goal (BENCHMARKS.md): the export runs at >= 0.8x the bare loop's calls/s
// and its peak live heap stays under 3 decoded pages. scripts/bench runs
// them with the SDK's benchmarks and prints the ratios.
//
//	go test -run '^$' -bench 'Export|CallsAllBare|SelfCheck' -benchtime 1x -count 3 ./cmd/convirza

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/convirza-community/convirza-go/convirzatest"
)

const (
	benchCalls = 100000
	// benchFrom..benchTo is the span the calls are spread over and the
	// export walks: 2025, twelve windows of at most 31 days. It ends long
	// before the fake's clock (now), so the fake's own seeded calls, which
	// are all from the last weeks, are outside it.
	benchFrom = "2025-01-01"
	benchTo   = "2025-12-31" // a bare --to date includes the day: the span ends 2026-01-01T00:00:00Z
	// benchFirstID is the id of the first benchmark call, far above the
	// fake's seeded ids.
	benchFirstID = 10_000_000
	// fakeProcessEnv makes TestBenchFakeProcess serve the fake: it is set
	// only in the child process the benchmarks start.
	fakeProcessEnv = "CONVIRZA_BENCH_FAKE_CALLS"
)

// benchSpan is the span of benchFrom..benchTo as the export resolves it.
func benchSpan(tb testing.TB) (from, to time.Time) {
	tb.Helper()
	from, err := parseDate("--from", benchFrom, false)
	if err == nil {
		to, err = parseDate("--to", benchTo, true)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return from, to
}

// benchSeed is a seed file (convirzatest's LoadSeed) of n calls spread
// evenly over benchFrom..benchTo, in the admin's org unit, so that every
// window of the export holds about n/12 of them.
func benchSeed(tb testing.TB, n int) []byte {
	tb.Helper()
	from, to := benchSpan(tb)
	step := to.Sub(from) / time.Duration(n)
	dispositions := []string{"ANSWERED", "ANSWERED", "VOICEMAIL", "ABANDONED", "ANSWERED", "TRANSFERRED", "NO ANSWER", "BUSY"}
	type record struct {
		ID          int64     `json:"id"`
		OrgUnitID   int64     `json:"org_unit_id"`
		CallerID    string    `json:"caller_id"`
		PhoneNumber string    `json:"phone_number"`
		Disposition string    `json:"disposition"`
		Seconds     int       `json:"seconds"`
		Started     time.Time `json:"started"`
	}
	calls := make([]record, n)
	for i := range calls {
		calls[i] = record{
			ID:          benchFirstID + int64(i),
			OrgUnitID:   convirzatest.AccountOrgUnitID,
			CallerID:    fmt.Sprintf("+1555%07d", i%10_000_000),
			PhoneNumber: "+19482013920",
			Disposition: dispositions[i%len(dispositions)],
			Seconds:     15 + i%900,
			Started:     from.Add(time.Duration(i) * step).Truncate(time.Second),
		}
	}
	seed, err := json.Marshal(map[string]any{"calls": calls})
	if err != nil {
		tb.Fatal(err)
	}
	return seed
}

// TestBenchFakeProcess is not a test: it is the child process of the
// benchmarks, which serves a fake seeded with the number of calls in
// fakeProcessEnv, prints its URLs on a line of stdout, and serves until
// stdin closes (the parent closes it, or dies). Without that variable, as
// in every ordinary test run, it returns at once.
//
// The fake runs in another process so that the benchmarks' heap figures
// are the export's alone: the fake holds 100,000 records and builds every
// answer in memory, which in-process would dwarf, and blur, the few pages
// an export keeps live. Its CPU still competes with the export's for the
// machine, as a real server's would not, but it does so equally for the
// export and the bare loop that the export is compared with.
func TestBenchFakeProcess(t *testing.T) {
	v := os.Getenv(fakeProcessEnv)
	if v == "" {
		return
	}
	var n int
	if _, err := fmt.Sscan(v, &n); err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a number of calls", fakeProcessEnv, v)
	}
	srv := convirzatest.Start(convirzatest.WithLoginRateLimit(0))
	defer srv.Close()
	if err := srv.LoadSeed(benchSeed(t, n)); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("fake %s %s\n", srv.URL, srv.AuthURL)
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// benchFake is a fake served by a child process.
type benchFake struct {
	url, authURL string
}

// startBenchFake starts TestBenchFakeProcess in a child process, serving n
// calls, and stops it in b.Cleanup: no child outlives the benchmark.
func startBenchFake(b *testing.B, n int) *benchFake {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestBenchFakeProcess$", "-test.count", "1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%d", fakeProcessEnv, n))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	lines := &firstLine{ready: make(chan string, 1)}
	cmd.Stdout = lines
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	b.Cleanup(func() {
		// Closing stdin asks the child to stop; it is killed if it has not
		// within a few seconds.
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	select {
	case line := <-lines.ready:
		var f benchFake
		if _, err := fmt.Sscanf(line, "fake %s %s", &f.url, &f.authURL); err != nil {
			b.Fatalf("the fake's process printed %q: %v", line, err)
		}
		return &f
	case <-exited:
		b.Fatal("the fake's process exited before serving")
	case <-time.After(3 * time.Minute):
		b.Fatal("the fake's process did not start serving within 3 minutes")
	}
	return nil
}

// firstLine is a child's stdout: it hands over the first line and drops
// the rest.
type firstLine struct {
	mu    sync.Mutex
	buf   []byte
	sent  bool
	ready chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.sent {
		f.buf = append(f.buf, p...)
		if line, _, ok := bytes.Cut(f.buf, []byte("\n")); ok {
			f.ready <- string(line)
			f.sent, f.buf = true, nil
		}
	}
	return len(p), nil
}

// benchClient is a client of the fake logged in as its admin, and the first
// page of calls of the span (its first window), to warm it up.
func benchClient(b *testing.B, f *benchFake) (*convirza.Client, *convirza.ListCallsParams) {
	b.Helper()
	c, err := convirza.NewClient(convirza.WithBaseURL(f.url), convirza.WithAuthBaseURL(f.authURL),
		convirza.WithCredentials(convirzatest.AdminEmail, convirzatest.SeedPassword))
	if err != nil {
		b.Fatal(err)
	}
	from, to := benchSpan(b)
	first := convirza.SplitCallsWindow(from, to)[0]
	params := &convirza.ListCallsParams{PageParams: convirza.PageParams{Limit: convirza.MaxLimit}, Start: first.Start, End: first.End}
	if _, err := c.Calls.List(context.Background(), params); err != nil { // logs in
		b.Fatal(err)
	}
	return c, params
}

// pageHeap is the heap one decoded page of 200 calls keeps, as Calls.List
// returns it (the unit of peak-pages): the live heap with the page held,
// less the heap before it was fetched. The client has fetched a page
// before, so its connection is in both figures; its pooled buffers are in
// neither (settledHeap).
func pageHeap(b *testing.B, c *convirza.Client, params *convirza.ListCallsParams) uint64 {
	b.Helper()
	before := settledHeap()
	page, err := c.Calls.List(context.Background(), params)
	if err != nil {
		b.Fatal(err)
	}
	after := settledHeap()
	runtime.KeepAlive(page)
	if len(page.Items) != convirza.MaxLimit {
		b.Fatalf("a page of %d calls, want %d", len(page.Items), convirza.MaxLimit)
	}
	if after <= before {
		b.Fatalf("holding a page of calls grew the heap by nothing (%d -> %d bytes)", before, after)
	}
	return after - before
}

// settledHeap is the heap once garbage is collected twice: the second
// collection empties the sync.Pools (the first only moves their contents
// aside), so that a pool filled before a measurement does not show as a
// fall during it, nor one filled during it as part of a page.
func settledHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// peakLiveHeap runs f and returns the highest live heap seen while it ran,
// less the live heap before it.
//
// A goroutine collects garbage back to back while f runs (runtime.GC, with
// automatic collections off) and takes, for each collection, the heap it
// left (HeapAlloc) less what was allocated since just before it started
// (TotalAlloc): the collector keeps every object reachable when its mark
// began, and everything allocated during the cycle, so that difference is
// the heap reachable when the mark began. Reading /gc/heap/live:bytes
// with GC percent 1 instead counts what each cycle allocated as live too:
// with the export's allocation rate that overstates the live heap several
// times (a 200 KB live heap under churn read as 600 KB to 3 MB), while
// this method reads it within a few KB, transient peaks included
// (TestPeakLiveHeap). Forcing collections at chosen points, as the SDK's
// BenchmarkUsersAll does, is not possible here: the export runs inside the
// command, which has no hook.
func peakLiveHeap(f func()) uint64 {
	old := debug.SetGCPercent(-1)
	defer debug.SetGCPercent(old)
	base := settledHeap()
	stop, peak := make(chan struct{}), make(chan uint64)
	go func() {
		var before, after runtime.MemStats
		var max uint64
		for {
			runtime.ReadMemStats(&before)
			runtime.GC()
			runtime.ReadMemStats(&after)
			heapSamples.Add(1)
			since := after.TotalAlloc - before.TotalAlloc
			if after.HeapAlloc > since && after.HeapAlloc-since > max {
				max = after.HeapAlloc - since
			}
			select {
			case <-stop:
				peak <- max
				return
			default:
			}
		}
	}()
	f()
	close(stop)
	if p := <-peak; p > base {
		return p - base
	}
	return 0
}

// heapSamples counts the samples of peakLiveHeap, for its test to wait for
// some.
var heapSamples atomic.Int64

// reportHeap reports one run's peak live heap, in bytes and in pages.
func reportHeap(b *testing.B, peak, page uint64) {
	b.ReportMetric(float64(peak), "peak-live-B")
	b.ReportMetric(float64(page), "page-B")
	b.ReportMetric(float64(peak)/float64(page), "peak-pages")
}

// BenchmarkExportNDJSON runs `convirza calls export --out FILE` in-process
// over the whole span, 100,000 calls in about 500 pages, b.N times: the
// command line parsed, the stored login read, each window walked with
// Calls.All and written as NDJSON, the file synced and the checkpoint
// saved after each window, as a person's run does. calls/s is the figure
// compared with BenchmarkCallsAllBare's; then one more export, not timed,
// gives the peak live heap (peakLiveHeap) in bytes and in pages.
func BenchmarkExportNDJSON(b *testing.B) {
	f := startBenchFake(b, benchCalls)
	c, params := benchClient(b, f)
	page := pageHeap(b, c, params)
	cl := &cli{t: b, configDir: b.TempDir(), env: map[string]string{
		"CONVIRZA_BASE_URL": f.url,
		"CONVIRZA_AUTH_URL": f.authURL,
	}}
	cl.login()
	out := filepath.Join(b.TempDir(), "calls.ndjson")
	export := func() {
		if r := cl.run("calls", "export", "--from", benchFrom, "--to", benchTo, "--out", out); r.code != 0 {
			b.Fatalf("calls export: exit %d\n%s", r.code, r.stderr)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		export()
		b.StopTimer()
		if n := countLines(b, out); n != benchCalls {
			b.Fatalf("the export wrote %d calls, want %d", n, benchCalls)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(benchCalls*b.N)/b.Elapsed().Seconds(), "calls/s")
	b.StopTimer()
	peak := peakLiveHeap(export)
	if n := countLines(b, out); n != benchCalls {
		b.Fatalf("the export wrote %d calls, want %d", n, benchCalls)
	}
	reportHeap(b, peak, page)
}

// BenchmarkCallsAllBare is the baseline of BenchmarkExportNDJSON: a bare
// Calls.All loop over the same span and pages of 200, on one client that
// has logged in, counting the calls and keeping nothing. Its peak live heap
// is what the SDK's walk alone keeps.
func BenchmarkCallsAllBare(b *testing.B) {
	f := startBenchFake(b, benchCalls)
	c, params := benchClient(b, f)
	page := pageHeap(b, c, params)
	from, to := benchSpan(b)
	ctx := context.Background()
	walk := func() {
		n := 0
		for _, err := range c.Calls.All(ctx, &convirza.ListCallsParams{
			PageParams: convirza.PageParams{Limit: convirza.MaxLimit}, Start: from, End: to,
		}) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchCalls {
			b.Fatalf("Calls.All walked %d calls, want %d", n, benchCalls)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		walk()
	}
	b.ReportMetric(float64(benchCalls*b.N)/b.Elapsed().Seconds(), "calls/s")
	b.StopTimer()
	reportHeap(b, peakLiveHeap(walk), page)
}

// countLines counts the lines of the file at path.
func countLines(tb testing.TB, path string) int {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		n++
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// TestBenchSeedExport checks, at a small scale and in-process, what the
// benchmarks take for granted: the seed loads, the export walks the whole
// span and writes every seeded call once, and the bare loop sees as many.
func TestBenchSeedExport(t *testing.T) {
	const n = 600
	cl := newCLI(t, convirzatest.WithLoginRateLimit(0))
	if err := cl.srv.LoadSeed(benchSeed(t, n)); err != nil {
		t.Fatal(err)
	}
	cl.login()
	out := filepath.Join(t.TempDir(), "calls.ndjson")
	if r := cl.run("calls", "export", "--from", benchFrom, "--to", benchTo, "--out", out); r.code != 0 {
		t.Fatalf("calls export: exit %d\n%s", r.code, r.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[int64]bool{}
	for line := range strings.Lines(string(data)) {
		var call struct {
			ID int64 `json:"call_id"`
		}
		if err := json.Unmarshal([]byte(line), &call); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		ids[call.ID] = true
	}
	if len(ids) != n || !ids[benchFirstID] || !ids[benchFirstID+n-1] {
		t.Errorf("the export wrote %d distinct calls (first %v, last %v), want %d",
			len(ids), ids[benchFirstID], ids[benchFirstID+n-1], n)
	}
	if lines := bytes.Count(data, []byte("\n")); lines != n {
		t.Errorf("the export wrote %d lines, want %d", lines, n)
	}
}

// BenchmarkPeakLiveHeapSelfCheck checks the benchmarks' heap sampler
// against a known heap: 256 KiB held while short-lived garbage is allocated
// fast, as an export allocates, then a 512 KiB spike held for a while. The
// sampler must see the held heap, not the garbage, and the spike. Each
// phase lasts until the sampler has taken a few samples in it. It runs with
// the benchmarks it vouches for, not under go test -race, whose slower
// collections the sampler is not tuned for.
func BenchmarkPeakLiveHeapSelfCheck(t *testing.B) {
	var sink []byte
	churn := func() {
		for n := heapSamples.Load() + 3; heapSamples.Load() < n; {
			for range 1000 {
				sink = make([]byte, 256)
			}
		}
	}
	held := peakLiveHeap(func() {
		hold := make([]byte, 256<<10)
		churn()
		runtime.KeepAlive(hold)
	})
	spike := peakLiveHeap(func() {
		hold := make([]byte, 256<<10)
		churn()
		more := make([]byte, 512<<10)
		churn()
		runtime.KeepAlive(more)
		churn()
		runtime.KeepAlive(hold)
	})
	runtime.KeepAlive(sink)
	const slack = 32 << 10
	if held < 256<<10 || held > 256<<10+slack {
		t.Errorf("holding 256 KiB: peak live heap %d bytes", held)
	}
	if spike < 768<<10 || spike > 768<<10+slack {
		t.Errorf("holding 768 KiB at most: peak live heap %d bytes", spike)
	}
}
