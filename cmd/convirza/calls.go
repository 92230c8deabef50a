package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	convirza "github.com/convirza-community/convirza-go"
	"github.com/spf13/cobra"
)

func newCallsCmd(e *env, g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calls",
		Short: "Work with the call history",
		Example: `  convirza calls export --from 2026-01-01 --to 2026-03-31 --out q1.ndjson
  convirza calls export --from 2026-01-01 -o csv --out calls.csv --recordings-dir audio --resume`,
		Args: usageArgs(cobra.NoArgs),
		RunE: showHelp,
	}
	cmd.AddCommand(newExportCmd(e, g))
	return cmd
}

// exportFlags are the flags of calls export, as given.
type exportFlags struct {
	from, to      string
	include       []string
	output        string
	out           string
	recordingsDir string
	concurrency   int
	resume        bool
	orgUnit       int64
}

// exportJob is an export checked and resolved: what runs.
type exportJob struct {
	from, to time.Time
	toGiven  bool
	include  []convirza.CallInclude
	format   string
	out      string // "" is stdout
	recDir   string
	workers  int
	resume   bool
	orgUnit  int64
}

func newExportCmd(e *env, g *globals) *cobra.Command {
	f := &exportFlags{}
	cmd := &cobra.Command{
		Use:   "export --from DATE [--to DATE] [flags]",
		Short: "Export the call history of any period, with its recordings",
		Long: `Export every call from --from to --to (default now), oldest window first,
as NDJSON (one call a line, as the server sent it, unknown fields included)
or CSV (the columns below). The API gives at most 31 days a request and 200
calls a page: the export walks the period in 31-day windows, each paged, and
streams, so its memory stays a few pages however long the period.

Dates are UTC: 2026-01-31 or 2026-01-31T12:00:00Z. A bare --to date
includes that whole day (--from 2026-01-01 --to 2026-01-31 is January).

--include adds expansions to each call: ` + strings.Join(includeNames(), ", ") + `.

--recordings-dir DIR downloads each call's recording into DIR, named by the
call id (DIR/555001.mp3), with --concurrency downloads at a time. A link
that has expired (410) is renewed by fetching the call again. A file that
is already there is complete (downloads go to a temporary file first) and is
not downloaded again.

With --out, a checkpoint file (FILE.checkpoint) records the last complete
window. After a crash, a failure or Ctrl-C, the same command with --resume
goes on from there: the output is cut back to that window's end, so it has
no duplicate and no missing call. Without --resume an export starts over.
The checkpoint is removed when the export completes.

Progress (windows, calls, calls a second, recordings) is shown on stderr
when stderr is a terminal.

CSV columns: ` + strings.Join(csvColumns, ", ") + `.
Tags, comments and custom sources are joined with "; " (custom sources as
key=value, sorted by key); call_flow is JSON; recording_file is the path of
the downloaded recording.`,
		Example: `  convirza calls export --from 2026-01-01 --to 2026-03-31 --out q1.ndjson
  convirza calls export --from 2025-01-01 --include tags,comments,recordings -o csv --out calls.csv --recordings-dir audio
  convirza calls export --from 2025-01-01 --include transcription --out calls.ndjson --resume`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			job, err := f.check(time.Now())
			if err != nil {
				return err
			}
			// Before the output is created: an export that cannot make
			// its first request must not truncate a file or leave a
			// checkpoint that asks for --resume.
			if err := g.requireLogin(cmd.Context(), e); err != nil {
				return err
			}
			c, err := g.client(e)
			if err != nil {
				return err
			}
			return runExport(cmd.Context(), e, c, job)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "start `date` of the export (required; UTC, 2026-01-01 or RFC 3339)")
	fl.StringVar(&f.to, "to", "", "end `date` of the export (default now; a bare date includes that day)")
	fl.StringSliceVar(&f.include, "include", nil, "expansions to add to each call, comma-separated: "+strings.Join(includeNames(), ","))
	fl.StringVarP(&f.output, "output", "o", "ndjson", "output format: ndjson or csv")
	fl.StringVar(&f.out, "out", "", "output `file` (default stdout; needed for --resume)")
	fl.StringVar(&f.recordingsDir, "recordings-dir", "", "`dir`ectory to download the recordings into (adds the recordings expansion)")
	fl.IntVar(&f.concurrency, "concurrency", 4, "recordings downloaded at a time (1..32)")
	fl.BoolVar(&f.resume, "resume", false, "go on from the checkpoint of an unfinished export to --out")
	fl.Int64Var(&f.orgUnit, "org-unit", 0, "only the calls of this org unit and its descendants (default: all you can see)")
	return cmd
}

func includeNames() []string {
	names := make([]string, len(exportIncludes))
	for i, v := range exportIncludes {
		names[i] = string(v)
	}
	return names
}

// exportIncludes are the expansions --include takes: all of the API's.
var exportIncludes = []convirza.CallInclude{convirza.IncludeTags, convirza.IncludeComments,
	convirza.IncludeCustomSources, convirza.IncludeCallFlow, convirza.IncludeRecordings, convirza.IncludeTranscription}

// check validates the flags, before any request, and resolves them.
func (f *exportFlags) check(now time.Time) (*exportJob, error) {
	j := &exportJob{format: f.output, out: f.out, recDir: f.recordingsDir, workers: f.concurrency, resume: f.resume, orgUnit: f.orgUnit}
	if f.from == "" {
		return nil, usagef("--from is required")
	}
	var err error
	if j.from, err = parseDate("--from", f.from, false); err != nil {
		return nil, err
	}
	j.to, j.toGiven = now, f.to != ""
	if j.toGiven {
		if j.to, err = parseDate("--to", f.to, true); err != nil {
			return nil, err
		}
	}
	// Whole seconds, as the windows are: a resumed export compares them.
	j.from, j.to = j.from.Truncate(time.Second), j.to.Truncate(time.Second)
	if !j.to.After(j.from) {
		return nil, usagef("--to %s is not after --from %s", j.to.Format(time.RFC3339), j.from.Format(time.RFC3339))
	}
	for _, name := range f.include {
		v := convirza.CallInclude(strings.TrimSpace(name))
		if !slices.Contains(exportIncludes, v) {
			return nil, usagef("--include %q: use any of %s", name, strings.Join(includeNames(), ", "))
		}
		if !slices.Contains(j.include, v) {
			j.include = append(j.include, v)
		}
	}
	if j.recDir != "" && !slices.Contains(j.include, convirza.IncludeRecordings) {
		j.include = append(j.include, convirza.IncludeRecordings)
	}
	slices.Sort(j.include)
	switch {
	case j.format != "ndjson" && j.format != "csv":
		return nil, usagef("-o %q: use ndjson or csv", j.format)
	case j.workers < 1 || j.workers > 32:
		return nil, usagef("--concurrency %d: use 1..32", j.workers)
	case j.resume && j.out == "":
		return nil, usagef("--resume needs --out: the checkpoint lives beside the output file")
	case j.orgUnit < 0:
		return nil, usagef("--org-unit %d: ids are positive", j.orgUnit)
	}
	if j.recDir != "" {
		if fi, err := os.Stat(j.recDir); err == nil && !fi.IsDir() {
			return nil, usagef("--recordings-dir %s is not a directory", j.recDir)
		}
	}
	return j, nil
}

// parseDate reads a UTC date (2026-01-31) or an RFC 3339 time. A bare
// date that ends a span means the end of that day.
func parseDate(flag, s string, end bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, usagef("%s %q: want a date such as 2026-01-31 or a time such as 2026-01-31T12:00:00Z", flag, s)
	}
	return t, nil
}

// String names the job's span in messages.
func (j *exportJob) String() string {
	return fmt.Sprintf("%s to %s", j.from.Format(time.RFC3339), j.to.Format(time.RFC3339))
}
