package ingest

import "testing"

// benchParse measures parse on body.
func benchParse(b *testing.B, body []byte, parse func(body []byte) error) {
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := parse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePagerDuty(b *testing.B) {
	benchParse(b, readTestdata(b, "pagerduty_trigger.json"), func(body []byte) error {
		_, _, err := ParsePagerDuty(body, fixedKey)
		return err
	})
}

func BenchmarkParseAlertmanager(b *testing.B) {
	benchParse(b, readTestdata(b, "alertmanager_v4.json"), func(body []byte) error {
		_, err := ParseAlertmanager(body, "")
		return err
	})
}

func BenchmarkParseGrafana(b *testing.B) {
	benchParse(b, readTestdata(b, "grafana.json"), func(body []byte) error {
		_, err := ParseGrafana(body, "")
		return err
	})
}

func BenchmarkParseGenericMapped(b *testing.B) {
	benchParse(b, []byte(uptimePayload), func(body []byte) error {
		_, err := ParseGeneric(body, uptimeMapping, "")
		return err
	})
}
