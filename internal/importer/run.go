package importer

import (
	"context"
	"errors"
)

// Run is what every vendor's import holds: the source it reads, the
// result so far, and the makers of the Vigil ids it hands out.
type Run struct {
	Ctx  context.Context
	Src  Source
	Opts Options
	Res  *Result
	Rep  *Report

	UserIDs, TeamIDs, ScheduleIDs, PolicyIDs, ServiceIDs IDs
	// Keys maps each integration key imported to its service.
	Keys map[string]string
}

// NewRun starts the vendor's import of src.
func NewRun(ctx context.Context, vendor string, src Source, opts Options) Run {
	res := NewResult(vendor, src, opts)
	return Run{Ctx: ctx, Src: src, Opts: opts, Res: res, Rep: res.Report, Keys: map[string]string{}}
}

// ReadAll reads the lists in order (see ReadLists); when the source
// gave none of them the import fails with missing, which names the files
// expected.
func (r *Run) ReadAll(lists []List, missing string) error {
	found, err := r.Res.ReadLists(r.Ctx, r.Src, lists)
	if err != nil {
		return err
	}
	if !found {
		return errors.New(missing)
	}
	return nil
}
