package duration

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"90s", 90 * time.Second, ""},
		{"5m", 5 * time.Minute, ""},
		{"2h", 2 * time.Hour, ""},
		{"2h30m", 150 * time.Minute, ""},
		{"1d", 24 * time.Hour, ""},
		{"2w", 14 * 24 * time.Hour, ""},
		{"1w2d", 9 * 24 * time.Hour, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"0s", 0, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"", 0, "empty"},
		{"5", 0, "missing unit"},
		{"-5m", 0, "negative"},
		{"5x", 0, "unknown unit"},
		{"m", 0, "expected a number"},
		{"5 m", 0, "unknown unit"},
		{"99999999999999999w", 0, "too large"},
		{"9223372036854775807s", 0, "unknown unit"},
		{strings.Repeat("1", 100) + "s", 0, "too long"},
		{"1..5h", 0, "unknown unit"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{90 * time.Second, "1m30s"},
		{5 * time.Minute, "5m"},
		{2 * time.Hour, "2h"},
		{150 * time.Minute, "2h30m"},
		{Day, "1d"},
		{2 * Week, "2w"},
		{36 * time.Hour, "36h"},
	}
	for _, tt := range tests {
		if got := Format(tt.in); got != tt.want {
			t.Errorf("Format(%v) = %q, want %q", tt.in, got, tt.want)
		}
		back, err := Parse(tt.want)
		if err != nil || back != tt.in {
			t.Errorf("Parse(Format(%v)) = %v, %v", tt.in, back, err)
		}
	}
}

func TestDurationCodecs(t *testing.T) {
	var v struct {
		D Duration `json:"d" yaml:"d"`
	}
	if err := yaml.Unmarshal([]byte("d: 1w\n"), &v); err != nil || v.D.Std() != Week {
		t.Fatalf("yaml: %v %v", v.D, err)
	}
	if err := yaml.Unmarshal([]byte("d: 5 minutes\n"), &v); err == nil {
		t.Fatal("yaml accepted a bad duration")
	}
	if err := json.Unmarshal([]byte(`{"d":"10m"}`), &v); err != nil || v.D.Std() != 10*time.Minute {
		t.Fatalf("json: %v %v", v.D, err)
	}
	if err := json.Unmarshal([]byte(`{"d":600}`), &v); err == nil {
		t.Fatal("json accepted a number")
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"d":"10m"}` {
		t.Fatalf("json out %s", b)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"5m", "1w2d", "1.5h", "-1s", "", "9999999999w", "1d1d1d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("Parse(%q) = %v, negative", s, d)
		}
		back, err := Parse(Format(d))
		if err != nil || back != d {
			t.Fatalf("round trip of %q: %v -> %q -> %v, %v", s, d, Format(d), back, err)
		}
	})
}
