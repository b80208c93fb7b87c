package feedback

import (
	"testing"
)

// Every pair of states, against the table written out once more by hand:
// a change to Moves must be a change to this test too.
func TestCanMoveEveryPair(t *testing.T) {
	allowed := map[[2]State]bool{
		{Received, Accepted}:    true,
		{Received, Rejected}:    true,
		{Accepted, Forwarded}:   true,
		{Accepted, InProgress}:  true,
		{Forwarded, InProgress}: true,
		{Forwarded, Answered}:   true,
		{InProgress, Forwarded}: true,
		{InProgress, Answered}:  true,
		{Answered, Closed}:      true,
		{Answered, InProgress}:  true,
		{Closed, InProgress}:    true,
	}
	all := append(States, "", "unknown")
	n := 0
	for _, from := range all {
		for _, to := range all {
			want := allowed[[2]State{from, to}]
			if got := CanMove(from, to); got != want {
				t.Errorf("CanMove(%q, %q) = %v, want %v", from, to, got, want)
			}
			if want {
				n++
			}
		}
	}
	if n != len(allowed) {
		t.Errorf("%d moves allowed among the states, the table lists %d", n, len(allowed))
	}
	for _, s := range States {
		if !s.Valid() || s.Label() == "" {
			t.Errorf("state %q: valid %v, label %q", s, s.Valid(), s.Label())
		}
		if _, ok := Moves[s]; !ok {
			t.Errorf("state %q is missing from Moves", s)
		}
	}
	if State("x").Valid() {
		t.Error(`State("x") is valid`)
	}
	for _, s := range States {
		open := s == Received || s == Accepted || s == Forwarded || s == InProgress
		if s.Open() != open {
			t.Errorf("%s.Open() = %v", s, s.Open())
		}
	}
}

func TestParseLevel(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Level
		ok   bool
	}{
		{"", LevelCommune, true}, {"commune", LevelCommune, true}, {"province", LevelProvince, true},
		{"central", LevelCentral, true}, {"Commune", "", false}, {"village", "", false}, {"xa", "", false},
	} {
		got, err := ParseLevel(c.in)
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("ParseLevel(%q) = %q, %v", c.in, got, err)
		}
	}
	for _, o := range Outcomes {
		if !o.Valid() || o.Label() == "" {
			t.Errorf("outcome %q", o)
		}
	}
	if Outcome("closed").Valid() {
		t.Error(`Outcome("closed") is valid`)
	}
}
