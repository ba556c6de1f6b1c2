package config

import (
	"archive/zip"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var updateZones = flag.Bool("update-zones", false, "rewrite zones.txt from the Go toolchain's time zone database")

// TestZoneList: zones.txt holds exactly the zones of the Go toolchain's
// database (lib/time/zoneinfo.zip, what time/tzdata embeds), each of
// which loads. After a Go upgrade, -update-zones rewrites it.
func TestZoneList(t *testing.T) {
	names, _ := zoneNames()
	if len(names) < 400 || !slices.IsSorted(names) {
		t.Fatalf("zones.txt: %d names, sorted %v", len(names), slices.IsSorted(names))
	}
	for _, n := range names {
		if _, err := time.LoadLocation(n); err != nil {
			t.Errorf("zones.txt names %q, which does not load: %v", n, err)
		}
	}
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skipf("go env GOROOT: %v", err)
	}
	z, err := zip.OpenReader(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Skipf("the toolchain's zone database: %v", err)
	}
	defer z.Close()
	var want []string
	for _, f := range z.File {
		if !strings.HasSuffix(f.Name, "/") {
			want = append(want, f.Name)
		}
	}
	slices.Sort(want)
	if *updateZones {
		if err := os.WriteFile("zones.txt", []byte(strings.Join(want, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !slices.Equal(names, want) {
		t.Errorf("zones.txt differs from the toolchain's %d zones: go test ./internal/config -run TestZoneList -update-zones", len(want))
	}
}

// TestClosestZone: the hint for a time zone that does not load names the
// zone that was most likely meant, worked out by hand for each mistake.
func TestClosestZone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Europe/Berlim", "Europe/Berlin"},              // one letter wrong
		{"Europe/Berln", "Europe/Berlin"},               // one left out
		{"Amercia/Chicago", "America/Chicago"},          // two swapped
		{"America/Sao_Paolo", "America/Sao_Paulo"},      // spelt as in Italian
		{"europe/berlin", "Europe/Berlin"},              // case
		{"America/New York", "America/New_York"},        // a space for the underscore
		{" Europe/Paris ", "Europe/Paris"},              // spaces around
		{"Berlin", "Europe/Berlin"},                     // the city alone
		{"Sydney", "Australia/Sydney"},                  // the city alone
		{"Europe/Sydney", "Australia/Sydney"},           // the city under the wrong area
		{"Australia/Sidney", "Australia/Sydney"},        // a typo in the city
		{"Tokio", "Asia/Tokyo"},                         // a typo in the city alone
		{"Indianapolis", "America/Indianapolis"},        // the shorter of two names with that city
		{"Asia/Calcuta", "Asia/Calcutta"},               // an old name is a name too
		{"PST", "America/Los_Angeles"},                  // an abbreviation
		{"utc", "UTC"},                                  // case
		{"Moon/Base", ""},                               // nothing near
		{"Mars/Olympus", ""},                            // nothing near
		{"Local", ""},                                   // the server's zone is not a zone name
		{"", ""},                                        // nothing
		{strings.Repeat("Europe/", 100) + "Berlin", ""}, // too long to be a typo
	}
	for _, c := range cases {
		if got := newSuggester().closestZone(c.in); got != c.want {
			t.Errorf("closestZone(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCheckTimeZone(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Europe/Berlin", ""},
		{"UTC", ""},
		{"Europe/Kiev", ""},
		{"Europe/Berlim", `invalid time zone "Europe/Berlim" (did you mean "Europe/Berlin"?)`},
		{"Local", `invalid time zone "Local": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`},
		{"Moon/Base", `invalid time zone "Moon/Base": use a name of the IANA time zone database, Area/City such as "America/Sao_Paulo", or UTC`},
	}
	for _, c := range cases {
		got := ""
		if err := CheckTimeZone(c.in); err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("CheckTimeZone(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// BenchmarkClosestZone is the cost of one hint: a comparison with every
// zone name.
func BenchmarkClosestZone(b *testing.B) {
	for b.Loop() {
		newSuggester().closestZone("Amercia/Chicgo")
	}
}
