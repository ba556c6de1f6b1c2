package slotest

import (
	"strings"
	"testing"
)

func TestEdit(t *testing.T) {
	got := Edit(CheckoutAvailability, append(Over30Days, "name: checkout-availability", "name: other")...)
	if !strings.Contains(got, "duration: 30d") || !strings.Contains(got, "{name: other}") || strings.Contains(got, "28d") {
		t.Errorf("Edit:\n%s", got)
	}
	for name, oldnew := range map[string][]string{
		"an old string not in the fixture": {"duration: 7d", "duration: 1d"},
		"an old string without a new one":  {"duration: 28d"},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			Edit(CheckoutAvailability, oldnew...)
		}()
	}
}
