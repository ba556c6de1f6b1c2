package correlate

import "slices"

// Placement is where an alert goes among the open incidents it was
// decided against, as indexes into their verdicts.
type Placement struct {
	// Join is the incident the alert joins; -1: it opens its own.
	Join int
	// Merge are the other incidents that are one failure with the
	// alert: they merge into Join's.
	Merge []int
	// Related are the incidents that share a dependency with the alert's
	// service without evidence that it fails.
	Related []int
}

// Place decides where an alert goes from its verdicts on the open
// incidents, oldest first. It joins the most strongly linked incident,
// the oldest among equals. Unless that incident explains the alert (then
// the alert is a victim, not a cause, and pulls nothing in), every other
// incident its service explains merges into the joined one; and when it
// joined on evidence for a shared dependency, so does every other that
// joins on that dependency, being one failure with it. The server and the
// simulator place alerts by it.
func Place(verdicts []Verdict) Placement {
	p := Placement{Join: -1}
	best := StrengthNone
	var via string
	for i, v := range verdicts {
		if s := v.Strength(); s > best {
			best, p.Join = s, i
			if s == StrengthEvidence {
				via = v.Via[0]
			}
		}
	}
	victim := best == StrengthExplained
	for i, v := range verdicts {
		switch {
		case i == p.Join:
		case v.Join && v.Explains && !victim:
			p.Merge = append(p.Merge, i)
		case best == StrengthEvidence && v.Join && slices.Contains(v.Via, via):
			p.Merge = append(p.Merge, i)
		case v.Related():
			p.Related = append(p.Related, i)
		}
	}
	return p
}
