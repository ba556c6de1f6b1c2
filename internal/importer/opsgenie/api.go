package opsgenie

import (
	"net/http"
	"net/url"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
)

// DefaultAPI is Opsgenie's REST API (api.eu.opsgenie.com for EU accounts).
const DefaultAPI = "https://api.opsgenie.com"

// API returns a source that fetches the same responses from Opsgenie's
// REST API with an API key, following each page's paging.next link.
// Services and maintenance are API v1; everything else v2.
func API(base *url.URL, key string, client *http.Client, _ time.Time) *importer.API {
	return &importer.API{
		Base: base, Client: client,
		Header: http.Header{"Authorization": {"GenieKey " + key}},
		Path: func(path string) string {
			if path == "services" || path == "maintenance" {
				return "/v1/" + path
			}
			return "/v2/" + path
		},
		Query: func(path string) url.Values {
			switch path {
			case "users", "services":
				return url.Values{"limit": {"100"}}
			case "schedules":
				return url.Values{"expand": {"rotation"}}
			}
			return nil
		},
		Next: importer.NextLink("paging", "next"),
	}
}
