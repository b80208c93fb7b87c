package feedback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sort"
	"time"

	"github.com/mattranso/mattranso/org"
)

// Rules are the routing and deadline configuration: which topics go to a
// higher level than the one they were addressed to, and how many working
// days each level (and each topic at a level) has to answer. The zero
// value routes every item to the level addressed, with DefaultDays.
//
// A rules file (MATTRANSO_FEEDBACK_RULES) is JSON:
//
//	{
//	  "raise": {"tham_nhung_tieu_cuc": "province"},
//	  "days": {"commune": 10, "province": 15, "central": 20},
//	  "topic_days": {"dat_dai": {"commune": 15}}
//	}
//
// Levels missing from "days" keep their defaults.
type Rules struct {
	// Raise gives, per topic, the lowest level that receives it: an item
	// addressed lower goes to that level of its own territory instead.
	Raise map[string]Level `json:"raise,omitempty"`
	// Days is the working days to answer, per receiving level.
	Days map[Level]int `json:"days,omitempty"`
	// TopicDays overrides Days for a topic at a level.
	TopicDays map[string]map[Level]int `json:"topic_days,omitempty"`
}

// DefaultDays are the working days to answer at each level when the rules
// say nothing: the higher the level, the wider the matters it receives.
var DefaultDays = map[Level]int{LevelCommune: 10, LevelProvince: 15, LevelCentral: 20}

// MaxDays bounds a configured deadline: a year of working days.
const MaxDays = 260

// DefaultRules are the rules when none are configured: corruption and
// wrongdoing (tham_nhung_tieu_cuc) are received at least by the province,
// out of the reach of the commune officials they may concern.
func DefaultRules() Rules {
	return Rules{
		Raise: map[string]Level{"tham_nhung_tieu_cuc": LevelProvince},
		Days:  maps.Clone(DefaultDays),
	}
}

// ReceivingLevel is the level that receives an item addressed to level
// with topic: level, or the topic's raised level when it is higher.
func (r Rules) ReceivingLevel(level Level, topic string) Level {
	if l, ok := r.Raise[topic]; ok && l.rank() > level.rank() {
		return l
	}
	if level == "" {
		return LevelCommune
	}
	return level
}

// Route returns the unit that receives an item addressed to level, of
// topic, from commune of province: the Front committee (MTTQ) of the
// receiving level's territory — COMMUNE/MTTQ, PROVINCE/MTTQ or VN/MTTQ.
func (r Rules) Route(level Level, topic, commune, province string) string {
	switch r.ReceivingLevel(level, topic) {
	case LevelCentral:
		return org.UnitOf(org.CentralCode, org.MTTQ).String()
	case LevelProvince:
		return org.UnitOf(province, org.MTTQ).String()
	}
	return org.UnitOf(commune, org.MTTQ).String()
}

// WorkingDays returns the working days the receiving level has to answer
// an item of topic.
func (r Rules) WorkingDays(topic string, level Level) int {
	if d, ok := r.TopicDays[topic][level]; ok {
		return d
	}
	if d, ok := r.Days[level]; ok {
		return d
	}
	return DefaultDays[level]
}

// Calendar counts working days; feedback/workday's Calendar is one.
type Calendar interface {
	// Add returns the time days working days after t.
	Add(t time.Time, days int) time.Time
}

// Vietnam is the time zone working days are counted in (UTC+7, no
// daylight saving): a day is a working day or not in Vietnam, whatever
// the server's zone.
var Vietnam = time.FixedZone("ICT", 7*3600)

// Due is the deadline of an item received at created by level for topic:
// the configured number of working days later in Vietnam's calendar.
func (r Rules) Due(cal Calendar, created time.Time, topic string, level Level) time.Time {
	return cal.Add(created.In(Vietnam), r.WorkingDays(topic, level))
}

// ParseRules reads a rules file (see Rules), strictly: unknown fields,
// levels that are not commune, province or central, and deadlines not
// from 1 to MaxDays are refused with the place named. Days the file
// does not give keep their defaults.
func ParseRules(rd io.Reader) (Rules, error) {
	data, err := io.ReadAll(io.LimitReader(rd, 1<<20))
	if err != nil {
		return Rules{}, err
	}
	var r Rules
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Rules{}, fmt.Errorf("feedback: rules: %w", err)
	}
	if dec.More() {
		return Rules{}, errors.New("feedback: rules: more than one JSON value")
	}
	def := DefaultRules()
	if r.Days == nil {
		r.Days = map[Level]int{}
	}
	for l, d := range def.Days {
		if _, ok := r.Days[l]; !ok {
			r.Days[l] = d
		}
	}
	if r.Raise == nil {
		r.Raise = def.Raise
	}
	return r, r.Check(nil)
}

// LoadRules reads a rules file.
func LoadRules(path string) (Rules, error) {
	f, err := os.Open(path)
	if err != nil {
		return Rules{}, fmt.Errorf("feedback: rules: %w", err)
	}
	defer f.Close()
	r, err := ParseRules(f)
	if err != nil {
		return Rules{}, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Check reports what is wrong in the rules: an unknown level, a deadline
// out of range, and, when topics is not nil, a topic it does not hold.
func (r Rules) Check(topics func(id string) bool) error {
	var errs []error
	level := func(where string, l Level) {
		if _, err := ParseLevel(string(l)); err != nil || l == "" {
			errs = append(errs, fmt.Errorf("feedback: rules: %s: level %q: want commune, province or central", where, l))
		}
	}
	days := func(where string, d int) {
		if d < 1 || d > MaxDays {
			errs = append(errs, fmt.Errorf("feedback: rules: %s: %d working days: want 1 to %d", where, d, MaxDays))
		}
	}
	topic := func(where, id string) {
		if topics != nil && !topics(id) {
			errs = append(errs, fmt.Errorf("feedback: rules: %s: %q is not a topic of the taxonomy", where, id))
		}
	}
	for _, t := range sortedKeys(r.Raise) {
		topic("raise", t)
		level("raise."+t, r.Raise[t])
	}
	for _, l := range sortedKeys(r.Days) {
		level("days", l)
		days("days."+string(l), r.Days[l])
	}
	for _, t := range sortedKeys(r.TopicDays) {
		topic("topic_days", t)
		for _, l := range sortedKeys(r.TopicDays[t]) {
			level("topic_days."+t, l)
			days("topic_days."+t+"."+string(l), r.TopicDays[t][l])
		}
	}
	return errors.Join(errs...)
}

func sortedKeys[K ~string, V any](m map[K]V) []K {
	out := make([]K, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
