package ingest

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// routingKey is a well-formed 32-character integration key.
const routingKey = "a1b2c3d4e5f60718293a4b5c6d7e8f90"

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkProblems checks that err is a *ValidationError listing want, in
// order.
func checkProblems(t *testing.T, err error, want []string) {
	t.Helper()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	if strings.Join(verr.Errors, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(verr.Errors, "\n"), strings.Join(want, "\n"))
	}
}

// errorFields returns the field of each problem a *ValidationError lists,
// failing the test when err is something else.
func errorFields(t *testing.T, err error) []string {
	t.Helper()
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error = %v (%T), want a *ValidationError", err, err)
	}
	fields := make([]string, len(verr.Errors))
	for i, e := range verr.Errors {
		field, _, ok := strings.Cut(e, ": ")
		if !ok {
			t.Errorf("problem %q is not \"field: problem\"", e)
		}
		fields[i] = field
	}
	return fields
}

// wantFields asserts that err is a *ValidationError naming exactly fields,
// in order.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	if got := errorFields(t, err); !slices.Equal(got, fields) {
		t.Errorf("error fields = %q, want %q\n(%v)", got, fields, err)
	}
}

// wantEvent compares two events field by field, so that a failure names
// the field that differs.
func wantEvent(t *testing.T, got, want Event) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		name := gv.Type().Field(i).Name
		g, w := gv.Field(i).Interface(), wv.Field(i).Interface()
		if gt, ok := g.(time.Time); ok {
			if !gt.Equal(w.(time.Time)) || gt.Location() != time.UTC {
				t.Errorf("%s = %v, want %v in UTC", name, gt, w)
			}
			continue
		}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %s\n want %s", name, show(g), show(w))
		}
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func utc(year int, month time.Month, day, hour, minute, sec, nsec int) time.Time {
	return time.Date(year, month, day, hour, minute, sec, nsec, time.UTC)
}

// nested returns a details object nested depth levels deep (itself one).
func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}
