package slo

import (
	"fmt"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/OpenSLO/go-sdk/pkg/openslo"
	v1 "github.com/OpenSLO/go-sdk/pkg/openslo/v1"

	"github.com/vigil-oncall/vigil/internal/config"
	"github.com/vigil-oncall/vigil/internal/duration"
)

// Limits on windows: a rolling window from an hour to a year; a calendar
// period of whole days, weeks, months, quarters or a year.
const (
	minWindow   = time.Hour
	maxWindow   = 366 * duration.Day
	maxQueryLen = 16 << 10
)

// Annotation keys of Vigil's extensions.
const (
	AnnotationMinEvents     = "vigil.dev/min-events"
	AnnotationDisabledTiers = "vigil.dev/disabled-tiers"
	AnnotationFreezeBelow   = "vigil.dev/freeze-below"
	AnnotationExemptions    = "vigil.dev/exemptions"
)

var annotationKeys = []string{AnnotationMinEvents, AnnotationDisabledTiers, AnnotationFreezeBelow, AnnotationExemptions}

// build resolves an SLO document into an SLO; ok is false when it has
// problems, all of which are recorded.
func (p *parser) build(o *object) (SLO, bool) {
	before := len(p.problems)
	obj := o.obj.(v1.SLO)
	d, spec := o.doc, obj.Spec
	s := SLO{
		Name:        obj.Metadata.Name,
		DisplayName: obj.Metadata.DisplayName,
		Description: spec.Description,
		Service:     spec.Service,
		File:        d.File,
		Line:        d.Line,
		MinEvents:   DefaultMinEvents,
		Policy:      Policy{Exemptions: []string{}},
	}
	if !p.isService(spec.Service) {
		p.add(d, "spec.service", "unknown service %q: spec.service names a Vigil service", spec.Service)
	}
	if spec.HasCompositeObjectives() {
		p.add(d, "spec.objectives", "composite SLOs (an indicator per objective) are not supported: write one SLO per indicator")
		return s, false
	}
	if len(spec.Objectives) != 1 {
		p.add(d, "spec.objectives", "Vigil evaluates one objective per SLO, this one has %d: write one SLO document per objective", len(spec.Objectives))
		return s, false
	}
	obv := spec.Objectives[0]
	p.objective(d, obv, &s)
	p.window(d, spec.TimeWindow, &s)
	p.budgeting(d, spec.BudgetingMethod, obv, &s)
	p.indicator(d, spec, obv, &s)
	p.tiers(d, spec.AlertPolicies, &s)
	p.annotations(d, obj.Metadata.Annotations, &s)
	return s, len(p.problems) == before
}

func (p *parser) objective(d config.Document, o v1.SLOObjective, s *SLO) {
	const path = "spec.objectives[0]"
	switch {
	case o.Target != nil:
		s.Objective = *o.Target
	case o.TargetPercent != nil:
		s.Objective = *o.TargetPercent / 100
	default:
		p.add(d, path, "the objective needs target (such as 0.999) or targetPercent (such as 99.9)")
		return
	}
	if !(s.Objective > 0 && s.Objective < 1) {
		p.add(d, path+".target", "the target must lie strictly between 0 and 1, such as 0.999")
	}
}

func (p *parser) window(d config.Document, windows []v1.SLOTimeWindow, s *SLO) {
	const path = "spec.timeWindow[0]"
	if len(windows) != 1 {
		p.add(d, "spec.timeWindow", "the SLO needs one time window, such as [{duration: 28d, isRolling: true}]")
		return
	}
	w := windows[0]
	unit, value := w.Duration.GetUnit(), w.Duration.GetValue()
	if value <= 0 {
		p.add(d, path+".duration", "the window must be longer than zero")
		return
	}
	if w.IsRolling {
		switch unit {
		case v1.DurationShorthandUnitHour, v1.DurationShorthandUnitDay, v1.DurationShorthandUnitWeek:
		default:
			p.add(d, path+".duration", "a rolling window is whole hours, days or weeks, such as 28d (months and years differ in length)")
			return
		}
		length := w.Duration.Duration()
		if length < minWindow || length > maxWindow {
			p.add(d, path+".duration", "a rolling window lies between 1h and 366d")
			return
		}
		s.Window = Window{Rolling: true, Duration: duration.Duration(length)}
		return
	}
	win := Window{Duration: duration.Duration(w.Duration.Duration())}
	switch unit {
	case v1.DurationShorthandUnitDay:
		win.Days = value
	case v1.DurationShorthandUnitWeek:
		win.Days = 7 * value
	case v1.DurationShorthandUnitMonth:
		win.Months = value
	case v1.DurationShorthandUnitQuarter:
		win.Months = 3 * value
	case v1.DurationShorthandUnitYear:
		win.Months = 12 * value
	default:
		p.add(d, path+".duration", "a calendar window is whole days, weeks, months (M), quarters (Q) or years (Y), such as 1M")
		return
	}
	if win.Months > 12 || win.Days > 366 {
		p.add(d, path+".duration", "a calendar window is at most a year")
		return
	}
	if err := config.CheckTimeZone(w.Calendar.TimeZone); err != nil {
		p.add(d, path+".calendar.timeZone", "%v", err)
		return
	}
	loc, err := time.LoadLocation(w.Calendar.TimeZone)
	if err != nil {
		p.add(d, path+".calendar.timeZone", "%v", err)
		return
	}
	start, err := time.ParseInLocation(time.DateTime, w.Calendar.StartTime, loc)
	if err != nil {
		p.add(d, path+".calendar.startTime", "invalid start time %q: use \"2006-01-02 15:04:05\"", w.Calendar.StartTime)
		return
	}
	if win.Months > 0 && start.Day() > 28 {
		// Day 31 plus a month would land in the month after next.
		p.add(d, path+".calendar.startTime", "a calendar window of months starts on day 1 to 28 of a month")
		return
	}
	win.Start, win.Location = start, loc
	s.Window = win
}

func (p *parser) budgeting(d config.Document, method v1.SLOBudgetingMethod, o v1.SLOObjective, s *SLO) {
	switch method {
	case v1.SLOBudgetingMethodOccurrences:
		s.Budgeting = Budgeting{Method: Occurrences}
	case v1.SLOBudgetingMethodTimeslices:
		const path = "spec.objectives[0].timeSliceWindow"
		b := Budgeting{Method: Timeslices}
		if o.TimeSliceTarget != nil {
			b.SliceTarget = *o.TimeSliceTarget
		}
		if o.TimeSliceWindow == nil {
			p.add(d, path, "Timeslices budgeting needs a timeSliceWindow, such as 1m")
			return
		}
		switch o.TimeSliceWindow.GetUnit() {
		case v1.DurationShorthandUnitMinute, v1.DurationShorthandUnitHour, v1.DurationShorthandUnitDay:
		default:
			p.add(d, path, "a time slice is whole minutes, hours or a day, such as 5m")
			return
		}
		w := o.TimeSliceWindow.Duration()
		if w <= 0 || w > duration.Day || duration.Day%w != 0 {
			p.add(d, path, "a time slice divides a day evenly, such as 1m, 5m or 1h")
			return
		}
		if w > s.Window.Duration.Std() && s.Window.Duration > 0 {
			p.add(d, path, "a time slice is shorter than the SLO window")
			return
		}
		b.SliceWindow = duration.Duration(w)
		s.Budgeting = b
	default:
		p.add(d, "spec.budgetingMethod", "budgeting method %s is not supported: use Occurrences or Timeslices", method)
	}
}

// indicator resolves the SLI: inline, or a separate SLI document named by
// indicatorRef (whose own problems are reported in its document).
func (p *parser) indicator(d config.Document, spec v1.SLOSpec, o v1.SLOObjective, s *SLO) {
	sliDoc, base := d, "spec.indicator.spec"
	var sli v1.SLISpec
	switch {
	case spec.Indicator != nil:
		sli = spec.Indicator.Spec
		s.Indicator.Name = spec.Indicator.Metadata.Name
	case spec.IndicatorRef != nil:
		ref := p.lookup(openslo.KindSLI, *spec.IndicatorRef)
		if ref == nil {
			p.add(d, "spec.indicatorRef", "no SLI named %q", *spec.IndicatorRef)
			return
		}
		sliDoc, base = ref.doc, "spec"
		sli = ref.obj.(v1.SLI).Spec
		s.Indicator.Name = ref.name
	default:
		p.add(d, "spec", "the SLO needs indicator or indicatorRef")
		return
	}
	// Problems with the SLI's own fields belong to its document; those that
	// come from combining it with this SLO belong here.
	switch {
	case sli.RatioMetric != nil:
		p.ratio(sliDoc, base+".ratioMetric", *sli.RatioMetric, &s.Indicator)
	case sli.ThresholdMetric != nil:
		s.Indicator.Kind = Threshold
		src := p.source(sliDoc, base+".thresholdMetric", sli.ThresholdMetric, &s.Indicator)
		if isPrometheus(src) {
			s.Indicator.Query = p.query(sliDoc, base+".thresholdMetric", sli.ThresholdMetric, false)
		}
		const path = "spec.objectives[0]"
		if o.Value == nil || o.Operator == "" {
			p.add(d, path, "a threshold indicator needs op (gt, gte, lt or lte) and value in the objective: a sample is good when \"sample op value\" holds")
			return
		}
		if !isFinite(*o.Value) {
			p.add(d, path+".value", "the value must be a finite number")
		}
		s.Indicator.Op, s.Indicator.Value = string(o.Operator), *o.Value
	default:
		p.add(sliDoc, base, "the indicator needs ratioMetric or thresholdMetric")
	}
}

func (p *parser) ratio(d config.Document, path string, r v1.SLIRatioMetric, ind *Indicator) {
	if r.Raw != nil || r.Total == nil {
		p.add(d, path, "raw ratio metrics are not supported: give good or bad events, and total events")
		return
	}
	counted, which := r.Good, "good"
	ind.Kind = RatioGood
	if r.Bad != nil {
		counted, which = r.Bad, "bad"
		ind.Kind = RatioBad
	}
	if counted == nil {
		p.add(d, path, "a ratio metric needs good or bad, and total")
		return
	}
	before := len(p.problems)
	src := p.source(d, path+"."+which, counted, ind)
	first := *ind
	p.source(d, path+".total", r.Total, ind)
	if len(p.problems) > before {
		return
	}
	if first.Source != ind.Source || first.DataSource != ind.DataSource {
		p.add(d, path+".total", "%s and total events come from different sources; both use the same", which)
		return
	}
	if isPrometheus(src) {
		q := p.query(d, path+"."+which, counted, true)
		if which == "good" {
			ind.Good = q
		} else {
			ind.Bad = q
		}
		ind.Total = p.query(d, path+".total", r.Total, true)
	}
}

// source resolves a metric source's type, through its DataSource when it
// names one, and sets the indicator's source; it returns the type.
func (p *parser) source(d config.Document, path string, m *v1.SLIMetricSpec, ind *Indicator) string {
	ms := m.MetricSource
	typ := ms.Type
	ind.DataSource, ind.URL = "", ""
	if ms.MetricSourceRef != "" {
		ref := p.lookup(openslo.KindDataSource, ms.MetricSourceRef)
		if ref == nil {
			p.add(d, path+".metricSource.metricSourceRef", "no DataSource named %q", ms.MetricSourceRef)
			return ""
		}
		ds := ref.obj.(v1.DataSource)
		if typ != "" && !strings.EqualFold(typ, ds.Spec.Type) {
			p.add(d, path+".metricSource.type", "type %q differs from the type %q of DataSource %q", typ, ds.Spec.Type, ref.name)
			return ""
		}
		typ = ds.Spec.Type
		ind.DataSource = ref.name
		if isPrometheus(typ) {
			ind.URL, _ = connectionURL(ds.Spec.ConnectionDetails) // checked when registered
		}
	}
	switch {
	case isPush(typ):
		ind.Source = SourcePush
	case isPrometheus(typ):
		ind.Source = SourcePrometheus
		if ind.DataSource == "" {
			p.add(d, path+".metricSource", "a Prometheus metric source names the DataSource that gives its URL in metricSourceRef")
		}
	default:
		p.add(d, path+".metricSource.type", "unsupported metric source type %q: use vigil-push or Prometheus", typ)
		return ""
	}
	return typ
}

// query reads a Prometheus query from a metric source's spec. A ratio's
// queries count events over a range written {{.window}}, so that Vigil and
// exported rules can ask for any window.
func (p *parser) query(d config.Document, path string, m *v1.SLIMetricSpec, ratio bool) string {
	path += ".metricSource.spec.query"
	q, _ := m.MetricSource.Spec["query"].(string)
	q = strings.TrimSpace(q)
	switch {
	case q == "":
		p.add(d, path, "a Prometheus metric source needs spec.query")
	case len(q) > maxQueryLen:
		p.add(d, path, "the query is longer than %d bytes", maxQueryLen)
	case ratio && !strings.Contains(q, WindowPlaceholder):
		p.add(d, path, "a ratio query counts events over a range written %s, such as sum(increase(http_requests_total[%s]))", WindowPlaceholder, WindowPlaceholder)
	default:
		return q
	}
	return ""
}

// tiers sets the burn-rate tiers: the SRE Workbook's for the window, or
// those of the SLO's alert policies when it has any.
func (p *parser) tiers(d config.Document, policies []v1.SLOAlertPolicy, s *SLO) {
	if s.Window.Duration <= 0 {
		return // the window's problem is reported
	}
	if len(policies) == 0 {
		s.Tiers = DefaultTiers(s.Window.Duration.Std())
		return
	}
	seen := map[string]bool{}
	for i, ap := range policies {
		path := fmt.Sprintf("spec.alertPolicies[%d]", i)
		doc, spec := d, v1.AlertPolicySpec{}
		switch {
		case ap.SLOAlertPolicyInline != nil:
			spec = ap.SLOAlertPolicyInline.Spec
			path += ".spec"
		case ap.SLOAlertPolicyRef != nil:
			ref := p.lookup(openslo.KindAlertPolicy, ap.AlertPolicyRef)
			if ref == nil {
				p.add(d, path+".alertPolicyRef", "no AlertPolicy named %q", ap.AlertPolicyRef)
				continue
			}
			doc, path, spec = ref.doc, "spec", ref.obj.(v1.AlertPolicy).Spec
		default:
			continue
		}
		for j, c := range spec.Conditions {
			cpath := fmt.Sprintf("%s.conditions[%d]", path, j)
			cdoc, name := doc, ""
			var cond v1.AlertConditionSpec
			switch {
			case c.AlertPolicyConditionInline != nil:
				cond, name = c.AlertPolicyConditionInline.Spec, c.AlertPolicyConditionInline.Metadata.Name
				cpath += ".spec"
			case c.AlertPolicyConditionRef != nil:
				ref := p.lookup(openslo.KindAlertCondition, c.ConditionRef)
				if ref == nil {
					p.add(doc, cpath+".conditionRef", "no AlertCondition named %q", c.ConditionRef)
					continue
				}
				cdoc, cpath, name = ref.doc, "spec", ref.name
				cond = ref.obj.(v1.AlertCondition).Spec
			default:
				continue
			}
			t, ok := p.tier(cdoc, cpath, name, cond, s.Window.Duration.Std())
			if !ok {
				continue
			}
			if seen[t.Name] {
				p.add(cdoc, cpath, "the SLO already has a burn-rate tier named %q", t.Name)
				continue
			}
			seen[t.Name] = true
			s.Tiers = append(s.Tiers, t)
		}
	}
	sort.SliceStable(s.Tiers, func(i, j int) bool {
		a, b := s.Tiers[i], s.Tiers[j]
		if a.Long != b.Long {
			return a.Long < b.Long
		}
		return a.Factor > b.Factor
	})
}

// tier reads a burn-rate alert condition. Its lookback window is the
// tier's long window; the short window is a twelfth of it, as in every
// tier of the SRE Workbook (1h and 5m, 6h and 30m, 1d and 2h, 3d and 6h).
func (p *parser) tier(d config.Document, path, name string, c v1.AlertConditionSpec, window time.Duration) (Tier, bool) {
	cond := c.Condition
	t := Tier{Name: name}
	switch strings.ToLower(c.Severity) {
	case "page", "critical", "high":
		t.Severity = SeverityPage
	case "ticket", "warning", "low", "info":
		t.Severity = SeverityTicket
	default:
		p.add(d, path+".severity", "unknown severity %q: use page (high urgency) or ticket (low urgency)", c.Severity)
		return t, false
	}
	if cond.Operator != v1.OperatorGT && cond.Operator != v1.OperatorGTE {
		p.add(d, path+".condition.op", "a burn-rate condition fires when the burn rate rises above its threshold: use op gt or gte")
		return t, false
	}
	if cond.Threshold == nil || !(*cond.Threshold > 0) || !isFinite(*cond.Threshold) {
		p.add(d, path+".condition.threshold", "the burn-rate threshold must be a number above 0, such as 14.4")
		return t, false
	}
	t.Factor = *cond.Threshold
	long := cond.LookbackWindow.Duration()
	if long < 12*time.Minute || long > window || long%time.Minute != 0 {
		p.add(d, path+".condition.lookbackWindow", "the lookback window is whole minutes from 12m up to the SLO window")
		return t, false
	}
	t.Long = duration.Duration(long)
	t.Short = duration.Duration((long / 12).Truncate(time.Minute))
	if cond.AlertAfter != nil {
		after := cond.AlertAfter.Duration()
		if after < 0 || after > long || after%time.Minute != 0 {
			p.add(d, path+".condition.alertAfter", "alertAfter is whole minutes, at most the lookback window")
			return t, false
		}
		t.For = duration.Duration(after)
	}
	return t, true
}

// annotations reads Vigil's extensions from the SLO's annotations.
func (p *parser) annotations(d config.Document, a v1.Annotations, s *SLO) {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !strings.HasPrefix(k, "vigil.dev/") {
			continue
		}
		path := "metadata.annotations['" + k + "']"
		v := strings.TrimSpace(a[k])
		switch k {
		case AnnotationMinEvents:
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || !(n >= 0) || n > 1e12 {
				p.add(d, path, "min-events is a number of events from 0, such as \"100\"")
				continue
			}
			s.MinEvents = n
		case AnnotationFreezeBelow:
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !(f >= 0 && f < 1) {
				p.add(d, path, "freeze-below is a share of the budget from 0 up to 1, such as \"0.1\"")
				continue
			}
			s.Policy.FreezeBelow = f
		case AnnotationExemptions:
			for _, t := range splitList(v) {
				if !validToken(t) {
					p.add(d, path, "invalid change type %q: use lowercase letters, digits, '-' and '_'", t)
					continue
				}
				if !contains(s.Policy.Exemptions, t) {
					s.Policy.Exemptions = append(s.Policy.Exemptions, t)
				}
			}
		case AnnotationDisabledTiers:
			for _, name := range splitList(v) {
				found := false
				for i := range s.Tiers {
					if s.Tiers[i].Name == name {
						s.Tiers[i].Disabled, found = true, true
					}
				}
				if !found && s.Tiers != nil {
					p.add(d, path, "the SLO has no burn-rate tier %q: its tiers are %s", name, tierNames(s.Tiers))
				}
			}
		default:
			p.addKey(d, path, "unknown Vigil annotation: use %s", strings.Join(annotationKeys, ", "))
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func validToken(s string) bool {
	ok := s != "" && len(s) <= 64
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	return ok
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func tierNames(ts []Tier) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

func isFinite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// checkHTTPURL accepts an absolute http or https URL with a host.
func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("invalid URL %q: use an absolute http or https URL", s)
	}
	return nil
}
