package simulate

import (
	"fmt"
	"html/template"
	"io"
	"strconv"
	"time"

	"github.com/vigil-oncall/vigil/internal/report"
)

// Title heads the comparison.
func (r *Result) Title() string {
	return fmt.Sprintf("Simulation of %d alerts, %s to %s", r.Alerts, r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
}

// comparison are the totals side by side, one row a figure.
var comparison = []struct {
	name string
	of   func(OrgResult) string
}{
	{"people", func(o OrgResult) string { return itoa(o.Totals.People) }},
	{"incidents", func(o OrgResult) string { return itoa(o.Totals.Incidents) }},
	{"high urgency", func(o OrgResult) string { return itoa(o.Totals.HighUrgency) }},
	{"pages", func(o OrgResult) string { return itoa(o.Totals.Pages) }},
	{"  business", func(o OrgResult) string { return itoa(o.Totals.Business) }},
	{"  off hours", func(o OrgResult) string { return itoa(o.Totals.Off) }},
	{"  sleep", func(o OrgResult) string { return itoa(o.Totals.Sleep) }},
	{"low-urgency notices", func(o OrgResult) string { return itoa(o.Totals.Notices) }},
	{"standby hours", func(o OrgResult) string { return num(o.Totals.StandbyHours) }},
	{"guaranteed-response hours", func(o OrgResult) string { return num(o.Totals.GuaranteedHours) }},
	{"cost", func(o OrgResult) string { return num(o.Totals.Cost) + " " + o.Currency }},
	{"minutes to engage (mean)", func(o OrgResult) string { return num(o.Totals.EngageMinutes) }},
	{"notice wait hours (mean)", func(o OrgResult) string { return num(o.Totals.NoticeHours) }},
	{"major incidents", func(o OrgResult) string { return itoa(o.Totals.Major) }},
	{"escalated past step 1", func(o OrgResult) string { return itoa(o.Totals.Escalated) }},
	{"paged nobody", func(o OrgResult) string { return itoa(o.Totals.Unpaged) }},
	{"unmapped alerts", func(o OrgResult) string { return itoa(o.unmappedAlerts()) }},
}

func (o OrgResult) unmappedAlerts() int {
	n := 0
	for _, u := range o.Unmapped {
		n += u.Alerts
	}
	return n
}

// Tables are the comparison for a terminal: the organisations side by
// side, the differences from the first, then each one's teams, people and
// unmapped services.
func (r *Result) Tables() []report.Table {
	side := report.Table{Title: "Organisations side by side", Columns: []string{"figure"}}
	for _, o := range r.Orgs {
		side.Columns = append(side.Columns, o.Name)
	}
	for _, c := range comparison {
		row := []string{c.name}
		for _, o := range r.Orgs {
			row = append(row, c.of(o))
		}
		side.Rows = append(side.Rows, row)
	}
	tables := []report.Table{side}
	if len(r.Differences) > 0 {
		d := report.Table{Title: "Differences from " + r.Differences[0].Against,
			Columns: []string{"org", "pages", "off hours", "sleep", "standby h", "guaranteed h", "cost", "engage min"}}
		for _, x := range r.Differences {
			d.Rows = append(d.Rows, []string{x.Org, signed(float64(x.Pages)), signed(float64(x.Off)), signed(float64(x.Sleep)),
				signed(x.StandbyHours), signed(x.GuaranteedHours), signed(x.Cost), signed(x.EngageMinutes)})
		}
		tables = append(tables, d)
	}
	for _, o := range r.Orgs {
		teams := report.Table{Title: "Teams of " + o.Name,
			Columns: []string{"team", "kind", "members", "incidents", "pages", "business", "off", "sleep", "notices", "standby h", "guaranteed h", "needs 24x7", "cost", "engage min"}}
		for _, t := range o.Teams {
			teams.Rows = append(teams.Rows, []string{t.Team, t.Kind, itoa(t.Members), itoa(t.Incidents), itoa(t.Pages), itoa(t.Business), itoa(t.Off),
				itoa(t.Sleep), itoa(t.Notices), num(t.StandbyHours), num(t.GuaranteedHours), strconv.FormatBool(t.Needs24x7), num(t.Cost), num(t.EngageMinutes)})
		}
		people := report.Table{Title: "People of " + o.Name + " (paged, notified or on call)",
			Columns: []string{"user", "time zone", "pages", "business", "off", "sleep", "notices", "standby h", "cost", "engage min"}}
		for _, p := range o.People {
			if p.Pages == 0 && p.Notices == 0 && p.StandbyHours == 0 {
				continue
			}
			people.Rows = append(people.Rows, []string{p.User, p.TimeZone, itoa(p.Pages), itoa(p.Business), itoa(p.Off), itoa(p.Sleep),
				itoa(p.Notices), num(p.StandbyHours), num(p.Cost), num(p.EngageMinutes)})
		}
		unmapped := report.Table{Title: "Unmapped in " + o.Name + " (services it lacks: their alerts paged nobody)",
			Columns: []string{"service", "alerts", "first", "last"}}
		for _, u := range o.Unmapped {
			unmapped.Rows = append(unmapped.Rows, []string{u.Service, itoa(u.Alerts), u.First.UTC().Format(time.RFC3339), u.Last.UTC().Format(time.RFC3339)})
		}
		tables = append(tables, teams, people, unmapped)
	}
	return tables
}

func itoa(n int) string { return strconv.Itoa(n) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func signed(v float64) string {
	if v > 0 {
		return "+" + num(v)
	}
	return num(v)
}

// chart is one bar chart of the HTML page: a bar per organisation, each
// made of segments.
type chart struct {
	Title  string
	Unit   string
	Legend []segmentName
	Bars   []bar
}

type segmentName struct {
	Name, Color string
}

type bar struct {
	Label    string
	Total    string
	Segments []segment
}

type segment struct {
	X, Width float64 // of 100
	Color    string
	Title    string
}

var palette = []string{"#4c78a8", "#f58518", "#e45756", "#72b7b2", "#54a24b"}

// newChart lays out bars: values[i] are bar i's segments, scaled so that
// the longest bar fills the width.
func newChart(title, unit string, names []string, labels []string, values [][]float64) chart {
	c := chart{Title: title, Unit: unit}
	for i, n := range names {
		c.Legend = append(c.Legend, segmentName{n, palette[i%len(palette)]})
	}
	longest := 0.0
	for _, v := range values {
		sum := 0.0
		for _, x := range v {
			sum += x
		}
		longest = max(longest, sum)
	}
	for i, v := range values {
		b := bar{Label: labels[i]}
		x, sum := 0.0, 0.0
		for j, val := range v {
			w := 0.0
			if longest > 0 {
				w = val / longest * 100
			}
			b.Segments = append(b.Segments, segment{X: x, Width: w, Color: palette[j%len(palette)], Title: names[j] + ": " + num(round2(val))})
			x += w
			sum += val
		}
		b.Total = num(round2(sum))
		c.Bars = append(c.Bars, b)
	}
	return c
}

// charts are the HTML page's charts: the organisations side by side on
// each figure a manager weighs, then each organisation's teams.
func (r *Result) charts() []chart {
	var names []string
	for _, o := range r.Orgs {
		names = append(names, o.Name)
	}
	one := func(title, unit, name string, of func(OrgResult) float64) chart {
		values := make([][]float64, len(r.Orgs))
		for i, o := range r.Orgs {
			values[i] = []float64{of(o)}
		}
		return newChart(title, unit, []string{name}, names, values)
	}
	pages := make([][]float64, len(r.Orgs))
	for i, o := range r.Orgs {
		pages[i] = []float64{float64(o.Totals.Business), float64(o.Totals.Off), float64(o.Totals.Sleep)}
	}
	out := []chart{
		newChart("Who is woken: pages by the part of the paged person's day", "pages", []string{"business hours", "off hours", "sleep hours"}, names, pages),
		one("Hours of guaranteed response (teams' first response on call)", "hours", "guaranteed hours", func(o OrgResult) float64 { return o.Totals.GuaranteedHours }),
		one("Standby: hours people spend on call", "hours", "standby hours", func(o OrgResult) float64 { return o.Totals.StandbyHours }),
		one("Cost of on-call (org.costs)", r.currency(), "cost", func(o OrgResult) float64 { return o.Totals.Cost }),
		one("Minutes from the first alert to the first page (mean)", "minutes", "minutes", func(o OrgResult) float64 { return o.Totals.EngageMinutes }),
	}
	for _, o := range r.Orgs {
		var labels []string
		var values [][]float64
		for _, t := range o.Teams {
			labels = append(labels, t.Team)
			values = append(values, []float64{float64(t.Business), float64(t.Off), float64(t.Sleep)})
		}
		out = append(out, newChart("Pages per team in "+o.Name, "pages", []string{"business hours", "off hours", "sleep hours"}, labels, values))
	}
	return out
}

func (r *Result) currency() string {
	for _, o := range r.Orgs {
		if o.Currency != "" {
			return o.Currency
		}
	}
	return "cost"
}

// WriteHTML writes the comparison as one self-contained page: charts a
// manager can read side by side, then the tables.
func (r *Result) WriteHTML(w io.Writer) error {
	return page.Execute(w, struct {
		Title  string
		Notes  []string
		Method []string
		Charts []chart
		Tables []report.Table
	}{r.Title(), r.Notes, r.Method, r.charts(), r.Tables()})
}

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"height": func(n int) int { return n*28 + 8 },
	"y":      func(i int) int { return i*28 + 4 },
	"ty":     func(i int) int { return i*28 + 21 },
	// Bars start after a 150-unit label column and span 460 units.
	"plus":  func(x float64) float64 { return 150 + x*4.6 },
	"scale": func(w float64) float64 { return w * 4.6 },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.1em;margin-top:2em}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1.5em}
.chart{border:1px solid #ddd;border-radius:6px;padding:1em}
.legend span{display:inline-block;margin-right:1em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle}
table{border-collapse:collapse;margin:.5em 0}td,th{border-bottom:1px solid #eee;padding:.2em .6em;text-align:right}td:first-child,th:first-child{text-align:left}
.notes li{color:#555}
</style></head><body>
<h1>{{.Title}}</h1>
<ul class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ul>
<div class="charts">
{{range .Charts}}{{$c := .}}<div class="chart"><h2>{{.Title}}</h2>
<div class="legend">{{range .Legend}}<span><i style="background:{{.Color}}"></i>{{.Name}}</span>{{end}}</div>
<svg viewBox="0 0 700 {{height (len .Bars)}}" width="100%" role="img" aria-label="{{.Title}}">
{{range $i, $b := .Bars}}<text x="0" y="{{ty $i}}" font-size="13">{{$b.Label}}</text>
{{range $b.Segments}}<rect x="{{printf "%.2f" (plus .X)}}" y="{{y $i}}" width="{{printf "%.2f" (scale .Width)}}" height="22" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{end}}
<text x="696" y="{{ty $i}}" font-size="13" text-anchor="end">{{$b.Total}} {{$c.Unit}}</text>
{{end}}</svg></div>
{{end}}</div>
{{range .Tables}}<h2>{{.Title}}</h2>{{if .Rows}}<table><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>{{else}}<p>(none)</p>{{end}}
{{end}}
<h2>How these numbers were computed</h2><ul>{{range .Method}}<li>{{.}}</li>{{end}}</ul>
</body></html>
`))
