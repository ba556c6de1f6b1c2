// # Semantics
//
// Compile turns a Schedule into an Engine; OnCall answers for an instant,
// Shifts for a range, Coverage reports gaps, overlaps and hours, and ICal
// renders shifts as a calendar feed. The rules, in the order they apply:
//
// Rotation. A layer hands off at its start and then every rotation length:
// handoff k is at start + k*every, and user k mod len(users) holds the slot
// from handoff k to handoff k+1. Before its start a layer does not cover,
// nor from its end on when it has one.
// A length written only in days and weeks ("1d", "2w") is calendar time:
// each handoff falls on the start's local wall-clock time in the layer's
// zone, so across a DST change a daily shift lasts 23 or 25 hours. Any h,
// m or s ("12h", "1d12h") makes the length absolute, and the handoff
// drifts by an hour in local time across DST. Calendar lengths must be
// whole days; absolute ones whole seconds and at least MinRotation.
//
// Local times. Where a local wall-clock time does not exist (the hour a
// spring-forward change skips), it moves forward by the length of the gap:
// with clocks jumping from 02:00 to 03:00, a 02:30 handoff or window edge
// happens at 03:30. Where a local time happens twice (the hour a fall-back
// change repeats), the first occurrence counts. The rule is the same in
// every zone (time.Date's choice depends on the sign of the offset).
//
// Active windows. A layer with active windows covers only inside them.
// A window on a day runs from its from time to its to time on that day, in
// the layer's zone (the schedule's unless the layer names its own); when to
// is at or before from, it ends on the next day (fri 22:00–06:00 runs from
// Friday night into Saturday morning; from equal to to is a whole day).
// No days means every day.
//
// Holidays. A layer with skip_holidays does not cover during the local
// days (in its zone) that are public holidays of that country, midnight to
// midnight.
//
// Layers. Each instant has exactly one answer: the user of the topmost
// (latest listed) layer that covers it, or nobody. A layer that does not
// cover an instant lets the layers below show through.
//
// Overrides. Overrides apply in list order, each to the answer the layers
// and earlier overrides give, over [start, end): one without replaces puts
// its user on call alone (over a gap too); one with replaces swaps in its
// user only where the replaced user is the answer. So where overrides
// overlap, the later one in the list has the last word.
//
// Bounds. Shifts and Coverage refuse ranges longer than MaxRange and
// instants outside the years 1 to 9999 (OnCall answers nobody there).
package schedule
