package grafanaoncall

import (
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
)

// DefaultAPI stands for an OnCall's API URL, which each stack has its own
// of (Grafana Cloud shows it under OnCall's settings).
const DefaultAPI = "https://oncall-prod-us-central-0.grafana.net/oncall"

// API returns a source that fetches the same responses from Grafana
// OnCall's public API (/api/v1/...) with an API token, following each
// page's next link.
func API(base *url.URL, token string, client *http.Client, _ time.Time) *importer.API {
	return &importer.API{
		Base: base, Client: client,
		Header: http.Header{"Authorization": {token}},
		Path:   func(path string) string { return "/api/v1/" + path + "/" },
		Next:   importer.NextLink("next"),
	}
}
