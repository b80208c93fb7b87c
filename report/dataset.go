package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"

	"github.com/mattranso/mattranso/org"
)

// FieldType is the kind of value a field holds.
type FieldType string

// The field types. Number and integer fields are summed in roll-ups; text
// fields are gathered from the units below for reading.
const (
	Number  FieldType = "number"
	Integer FieldType = "integer"
	Text    FieldType = "text"
	Bool    FieldType = "bool"
	Choice  FieldType = "choice"
)

// Numeric reports whether values of t are summed.
func (t FieldType) Numeric() bool { return t == Number || t == Integer }

func (t FieldType) valid() bool {
	switch t {
	case Number, Integer, Text, Bool, Choice:
		return true
	}
	return false
}

// MaxTextLen bounds a text value, in bytes.
const MaxTextLen = 4000

// Field is one entry of a report form, with its rules.
type Field struct {
	Key   string    `json:"key"`
	Label string    `json:"label"`
	Help  string    `json:"help,omitempty"`
	Type  FieldType `json:"type"`
	// Choices are the allowed values of a choice field.
	Choices []string `json:"choices,omitempty"`
	// Required fields must have a value when the report is submitted; a
	// draft may leave them empty.
	Required bool `json:"required,omitempty"`
	// Min is the smallest value of a numeric field (0: non-negative).
	Min *float64 `json:"min,omitempty"`
	// LessOrEqual names another numeric field this one may not exceed
	// (full_time ≤ staff), checked when both have a value.
	LessOrEqual string `json:"less_or_equal,omitempty"`
	// MaxDropPercent, when above 0, refuses a value that fell by more than
	// this percentage from the unit's previous period's reported value,
	// unless DropComment (a text field's key) explains it.
	MaxDropPercent float64 `json:"max_drop_percent,omitempty"`
	DropComment    string  `json:"drop_comment,omitempty"`
	// FromProfile names the unit profile's field (org.Profile's JSON key:
	// members, full_time_staff…) a form may prefill this field from.
	FromProfile string `json:"from_profile,omitempty"`
}

// Dataset is a report form: its fields, its period type, who reports it
// and its deadline and lock.
type Dataset struct {
	Key        string      `json:"key"`
	Name       string      `json:"name"`
	PeriodType PeriodType  `json:"period_type"`
	Levels     []org.Level `json:"levels"`
	Orgs       []org.Org   `json:"orgs"`
	Fields     []Field     `json:"fields"`
	// The deadline is DeadlineDays after the period's last day, at
	// DeadlineHour:00 Vietnam time: 1 and 17 make Monday 17:00 after a
	// week.
	DeadlineDays int `json:"deadline_days"`
	DeadlineHour int `json:"deadline_hour"`
	// LockDays after the deadline the period is locked for every unit
	// without an exception.
	LockDays int `json:"lock_days"`
}

// Field returns the field with key.
func (d Dataset) Field(key string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// NumericKeys are the keys of the summed fields, in form order.
func (d Dataset) NumericKeys() []string {
	var out []string
	for _, f := range d.Fields {
		if f.Type.Numeric() {
			out = append(out, f.Key)
		}
	}
	return out
}

// TextKeys are the keys of the text fields, in form order.
func (d Dataset) TextKeys() []string {
	var out []string
	for _, f := range d.Fields {
		if f.Type == Text {
			out = append(out, f.Key)
		}
	}
	return out
}

// Reports reports whether unit u files this data set: its level and its
// organisation are the data set's.
func (d Dataset) Reports(u org.Unit) bool {
	return slices.Contains(d.Levels, u.Level()) && slices.Contains(d.Orgs, u.Org)
}

var keyForm = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Check says what is wrong with a data set's configuration, if anything.
func (d Dataset) Check() error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("report: data set %q: "+format, append([]any{d.Key}, args...)...)
	}
	if !keyForm.MatchString(d.Key) {
		return fail("key must be lower-case letters, digits and _, starting with a letter")
	}
	if d.Name == "" {
		return fail("name is empty")
	}
	if !d.PeriodType.valid() {
		return fail("period_type %q: want weekly, monthly or quarterly", d.PeriodType)
	}
	if len(d.Levels) == 0 || len(d.Orgs) == 0 {
		return fail("levels and orgs must not be empty")
	}
	for _, l := range d.Levels {
		switch l {
		case org.Central, org.Province, org.Commune, org.Village:
		default:
			return fail("level %q: want central, province, commune or village", l)
		}
	}
	for _, o := range d.Orgs {
		if !o.Valid() {
			return fail("organisation %q: unknown", o)
		}
	}
	if d.DeadlineDays < 0 || d.DeadlineHour < 0 || d.DeadlineHour > 23 || d.LockDays < 0 {
		return fail("deadline_days and lock_days must be ≥ 0, deadline_hour 0–23")
	}
	if len(d.Fields) == 0 {
		return fail("no fields")
	}
	seen := map[string]Field{}
	for _, f := range d.Fields {
		if !keyForm.MatchString(f.Key) {
			return fail("field key %q: lower-case letters, digits and _, starting with a letter", f.Key)
		}
		if _, dup := seen[f.Key]; dup {
			return fail("field %q twice", f.Key)
		}
		seen[f.Key] = f
		if !f.Type.valid() {
			return fail("field %q: type %q: want number, integer, text, bool or choice", f.Key, f.Type)
		}
		if f.Label == "" {
			return fail("field %q: label is empty", f.Key)
		}
		if f.Type == Choice && len(f.Choices) == 0 {
			return fail("field %q: a choice field needs choices", f.Key)
		}
		if !f.Type.Numeric() && (f.Min != nil || f.LessOrEqual != "" || f.MaxDropPercent != 0) {
			return fail("field %q: min, less_or_equal and max_drop_percent apply to numbers only", f.Key)
		}
		if f.MaxDropPercent < 0 || f.MaxDropPercent > 100 {
			return fail("field %q: max_drop_percent must be in 0–100", f.Key)
		}
		if f.MaxDropPercent > 0 && f.DropComment == "" {
			return fail("field %q: max_drop_percent needs drop_comment, the text field that explains a drop", f.Key)
		}
	}
	for _, f := range d.Fields {
		if f.LessOrEqual != "" {
			if o, ok := seen[f.LessOrEqual]; !ok || !o.Type.Numeric() || o.Key == f.Key {
				return fail("field %q: less_or_equal %q is not another numeric field", f.Key, f.LessOrEqual)
			}
		}
		if f.DropComment != "" {
			if o, ok := seen[f.DropComment]; !ok || o.Type != Text {
				return fail("field %q: drop_comment %q is not a text field", f.Key, f.DropComment)
			}
		}
	}
	return nil
}

func zero() *float64 { z := 0.0; return &z }

// DefaultDatasets are the data sets used without MATTRANSO_REPORT_DATASETS:
// "weekly", the seeds' weekly report, filed by the commune-level units of
// the six organisations, due Monday 17:00 after the week and locked a
// week after that.
func DefaultDatasets() []Dataset {
	return []Dataset{{
		Key:          "weekly",
		Name:         "Báo cáo tuần",
		PeriodType:   Weekly,
		Levels:       []org.Level{org.Commune},
		Orgs:         slices.Clone(org.Orgs),
		DeadlineDays: 1,
		DeadlineHour: 17,
		LockDays:     7,
		Fields: []Field{
			{Key: "members", Label: "Số hội viên, đoàn viên", Type: Integer, Required: true, Min: zero(),
				MaxDropPercent: 20, DropComment: "notes", FromProfile: "members",
				Help: "Tổng số hội viên, đoàn viên (với Mặt trận: số thành viên) của đơn vị đến cuối tuần."},
			{Key: "staff", Label: "Số cán bộ", Type: Integer, Required: true, Min: zero(),
				Help: "Cán bộ của đơn vị, chuyên trách và không chuyên trách."},
			{Key: "full_time", Label: "Trong đó: cán bộ chuyên trách", Type: Integer, Required: true, Min: zero(),
				LessOrEqual: "staff", FromProfile: "full_time_staff"},
			{Key: "activities", Label: "Số hoạt động đã tổ chức", Type: Integer, Required: true, Min: zero()},
			{Key: "citizens_reached", Label: "Số lượt người dân được tiếp cận", Type: Integer, Min: zero()},
			{Key: "feedback_received", Label: "Số ý kiến, kiến nghị tiếp nhận", Type: Integer, Min: zero()},
			{Key: "feedback_answered", Label: "Số ý kiến, kiến nghị đã trả lời", Type: Integer, Min: zero()},
			{Key: "typical_activities", Label: "Hoạt động tiêu biểu", Type: Text},
			{Key: "difficulties", Label: "Khó khăn, vướng mắc", Type: Text},
			{Key: "proposals", Label: "Kiến nghị, đề xuất", Type: Text},
			{Key: "notes", Label: "Giải trình, ghi chú", Type: Text,
				Help: "Bắt buộc khi số hội viên giảm quá 20% so với tuần trước."},
		},
	}}
}

// LoadDatasets reads data sets from a JSON file: an array of Dataset
// objects, each checked. Unknown keys are refused, so that a typo in a
// rule's name does not silently drop the rule.
func LoadDatasets(path string) ([]Dataset, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("report: data sets: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var ds []Dataset
	if err := dec.Decode(&ds); err != nil {
		return nil, fmt.Errorf("report: data sets %s: %w", path, err)
	}
	if err := checkDatasets(ds); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ds, nil
}

func checkDatasets(ds []Dataset) error {
	if len(ds) == 0 {
		return fmt.Errorf("report: no data sets")
	}
	seen := map[string]bool{}
	for _, d := range ds {
		if err := d.Check(); err != nil {
			return err
		}
		if seen[d.Key] {
			return fmt.Errorf("report: data set %q twice", d.Key)
		}
		seen[d.Key] = true
	}
	return nil
}
