package feedback

import (
	"strings"
	"testing"
)

// Addressed level × topic × place → receiving unit, with the default
// rules and with configured ones.
func TestRoute(t *testing.T) {
	def := DefaultRules()
	conf, err := ParseRules(strings.NewReader(`{"raise": {"moi_truong": "central", "dat_dai": "province"}}`))
	if err != nil {
		t.Fatal(err)
	}
	places := []struct{ commune, province string }{{"26734", "79"}, {"00004", "01"}, {"22366", "56"}}
	for _, c := range []struct {
		rules Rules
		level Level
		topic string
		// want for each place: C the commune, P the province, V central.
		want byte
	}{
		{def, LevelCommune, "giao_thong", 'C'},
		{def, LevelProvince, "giao_thong", 'P'},
		{def, LevelCentral, "giao_thong", 'V'},
		{def, "", "giao_thong", 'C'},
		{def, LevelCommune, "", 'C'},
		{def, LevelProvince, "", 'P'},
		{def, LevelCommune, "tham_nhung_tieu_cuc", 'P'},
		{def, LevelProvince, "tham_nhung_tieu_cuc", 'P'},
		{def, LevelCentral, "tham_nhung_tieu_cuc", 'V'}, // a raise never lowers
		{def, LevelCommune, "khac", 'C'},
		{def, LevelCommune, "moi_truong", 'C'},
		{conf, LevelCommune, "moi_truong", 'V'},
		{conf, LevelProvince, "moi_truong", 'V'},
		{conf, LevelCommune, "dat_dai", 'P'},
		{conf, LevelCentral, "dat_dai", 'V'},
		{conf, LevelCommune, "tham_nhung_tieu_cuc", 'C'}, // the file replaced the default raise
		{conf, LevelCommune, "giao_thong", 'C'},
		{Rules{}, LevelCommune, "tham_nhung_tieu_cuc", 'C'},
		{Rules{}, LevelCentral, "", 'V'},
	} {
		for _, p := range places {
			want := map[byte]string{'C': p.commune + "/MTTQ", 'P': p.province + "/MTTQ", 'V': "VN/MTTQ"}[c.want]
			if got := c.rules.Route(c.level, c.topic, p.commune, p.province); got != want {
				t.Errorf("Route(%q, %q, %s, %s) with raise %v = %s, want %s", c.level, c.topic, p.commune, p.province, c.rules.Raise, got, want)
			}
		}
	}
}

func TestWorkingDaysAndRulesFile(t *testing.T) {
	r, err := ParseRules(strings.NewReader(`{"days": {"commune": 7}, "topic_days": {"dat_dai": {"commune": 30, "central": 45}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		topic string
		level Level
		want  int
	}{
		{"giao_thong", LevelCommune, 7}, {"giao_thong", LevelProvince, 15}, {"giao_thong", LevelCentral, 20},
		{"dat_dai", LevelCommune, 30}, {"dat_dai", LevelProvince, 15}, {"dat_dai", LevelCentral, 45},
	} {
		if got := r.WorkingDays(c.topic, c.level); got != c.want {
			t.Errorf("WorkingDays(%s, %s) = %d, want %d", c.topic, c.level, got, c.want)
		}
	}
	if got := (Rules{}).WorkingDays("x", LevelProvince); got != 15 {
		t.Errorf("zero Rules: %d days at the province, want the default 15", got)
	}
	// The default raise stays when the file does not give one.
	if r.ReceivingLevel(LevelCommune, "tham_nhung_tieu_cuc") != LevelProvince {
		t.Error("a rules file without raise dropped the default raise")
	}

	for _, c := range []struct{ file, want string }{
		{`{"days": {"xa": 5}}`, `level "xa"`},
		{`{"days": {"commune": 0}}`, "days.commune: 0 working days"},
		{`{"days": {"commune": 1000}}`, "days.commune: 1000"},
		{`{"raise": {"dat_dai": "village"}}`, `raise.dat_dai: level "village"`},
		{`{"topic_days": {"dat_dai": {"province": -1}}}`, "topic_days.dat_dai.province: -1"},
		{`{"raize": {}}`, "unknown field"},
		{`{"days": {"commune": "10"}}`, "cannot unmarshal"},
		{`{} {}`, "more than one"},
		{`{`, "unexpected EOF"},
	} {
		_, err := ParseRules(strings.NewReader(c.file))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseRules(%s) = %v, want an error with %q", c.file, err, c.want)
		}
	}
	known := func(id string) bool { return id == "dat_dai" }
	if err := (Rules{Raise: map[string]Level{"khong_co": LevelProvince}}).Check(known); err == nil || !strings.Contains(err.Error(), `"khong_co" is not a topic`) {
		t.Errorf("unknown topic: %v", err)
	}
}
