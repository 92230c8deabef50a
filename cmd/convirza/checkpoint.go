package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	convirza "github.com/convirza-community/convirza-go"
)

// checkpoint is what an unfinished export to a file has done: the output
// up to Bytes holds every call before Done, and nothing after it.
type checkpoint struct {
	Version int `json:"version"`
	// The export it belongs to: --resume refuses another one.
	From    time.Time              `json:"from"`
	To      time.Time              `json:"to"`
	Include []convirza.CallInclude `json:"include"`
	Format  string                 `json:"format"`
	OrgUnit int64                  `json:"org_unit_id,omitempty"`
	// Done is the end of the last complete window.
	Done  time.Time `json:"done"`
	Bytes int64     `json:"bytes"`
	Calls int64     `json:"calls"`
}

// checkpointPath is the checkpoint file of an export to out.
func checkpointPath(out string) string { return out + ".checkpoint" }

// loadCheckpoint reads the checkpoint of an export to out, nil when there
// is none.
func loadCheckpoint(out string) (*checkpoint, error) {
	data, err := os.ReadFile(checkpointPath(out))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cp checkpoint
	if err := json.Unmarshal(data, &cp); err != nil || cp.Version != 1 {
		return nil, fmt.Errorf("%s is not a checkpoint of this command: remove it to start over", checkpointPath(out))
	}
	return &cp, nil
}

// matches reports how cp's export differs from j, "" when it is the same.
func (cp *checkpoint) mismatch(j *exportJob) string {
	switch {
	case !cp.From.Equal(j.from):
		return fmt.Sprintf("--from %s", cp.From.Format(time.RFC3339))
	case j.toGiven && !cp.To.Equal(j.to):
		return fmt.Sprintf("--to %s", cp.To.Format(time.RFC3339))
	case !slices.Equal(cp.Include, j.include):
		return fmt.Sprintf("--include %v", cp.Include)
	case cp.Format != j.format:
		return fmt.Sprintf("-o %s", cp.Format)
	case cp.OrgUnit != j.orgUnit:
		return fmt.Sprintf("--org-unit %d", cp.OrgUnit)
	}
	return ""
}

// save replaces the checkpoint file atomically: a crash leaves the old one
// or the new one, never half of one.
func (cp *checkpoint) save(out string) error {
	data, err := json.MarshalIndent(cp, "", "  ")
	if err != nil {
		return err
	}
	path := checkpointPath(out)
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // fails harmlessly after the rename
	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
