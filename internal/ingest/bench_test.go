package ingest

import "testing"

func BenchmarkParsePagerDuty(b *testing.B) {
	body := readTestdata(b, "pagerduty_trigger.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParsePagerDuty(body, fixedKey); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAlertmanager(b *testing.B) {
	body := readTestdata(b, "alertmanager_v4.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAlertmanager(body, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGrafana(b *testing.B) {
	body := readTestdata(b, "grafana.json")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseGrafana(body, ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseGenericMapped(b *testing.B) {
	body := []byte(uptimePayload)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseGeneric(body, uptimeMapping, ""); err != nil {
			b.Fatal(err)
		}
	}
}
