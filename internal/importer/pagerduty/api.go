package pagerduty

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-oncall/vigil/internal/importer"
)

// DefaultAPI is PagerDuty's REST API.
const DefaultAPI = "https://api.pagerduty.com"

// pageSize is the largest page PagerDuty serves.
const pageSize = "100"

// API returns a source that fetches the same responses from PagerDuty's
// REST API v2 with an API token, paging with offset and limit while a page
// says there are more. Overrides are asked for from now on, for a year.
func API(base *url.URL, token string, client *http.Client, now time.Time) *importer.API {
	return &importer.API{
		Base: base, Client: client,
		Header: http.Header{
			"Authorization": {"Token token=" + token},
			"Accept":        {"application/vnd.pagerduty+json;version=2"},
		},
		Query: func(path string) url.Values {
			q := url.Values{}
			switch {
			case path == "users":
				q["include[]"] = []string{"contact_methods", "notification_rules", "teams"}
			case path == "services":
				q["include[]"] = []string{"integrations"}
			case strings.HasSuffix(path, "/overrides"):
				q.Set("since", now.UTC().Format(time.RFC3339))
				q.Set("until", now.AddDate(1, 0, 0).UTC().Format(time.RFC3339))
				return q
			case strings.Count(path, "/") == 1 && !strings.HasSuffix(path, "/members"):
				return q // one object: no paging
			}
			q.Set("limit", pageSize)
			return q
		},
		Next: importer.OffsetPaging,
	}
}
