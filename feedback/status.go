package feedback

import (
	"context"
	"fmt"
	"time"

	"github.com/mattranso/mattranso/org"
)

// PublicStatus is all that anyone holding a tracking code learns of an
// item: where it is and what was answered — never who sent it, how to
// reach them, the address or position given, the content as sent, or the
// officers' notes. GET /api/v1/feedback/{code} answers it and the status
// page shows it.
type PublicStatus struct {
	TrackingCode string     `json:"tracking_code"`
	Status       State      `json:"status"`
	StatusLabel  string     `json:"status_label"`
	Outcome      Outcome    `json:"outcome,omitempty"`
	OutcomeLabel string     `json:"outcome_label,omitempty"`
	Topic        string     `json:"topic"`
	TopicName    string     `json:"topic_name"`
	Level        Level      `json:"level"`
	Unit         string     `json:"unit"`
	UnitName     string     `json:"unit_name"`
	Commune      string     `json:"commune"`
	CommuneName  string     `json:"commune_name"`
	ProvinceName string     `json:"province_name"`
	SubmittedAt  time.Time  `json:"submitted_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	ExpectedAt   time.Time  `json:"expected_at"`
	AnsweredAt   *time.Time `json:"answered_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	// Answer is the public answer (without personal data), once the
	// item is answered or closed.
	Answer  string       `json:"answer,omitempty"`
	History []PublicStep `json:"history"`
}

// PublicStep is one change of state in the public history: when, and to
// what — not who or why.
type PublicStep struct {
	At          time.Time `json:"at"`
	Status      State     `json:"status"`
	StatusLabel string    `json:"status_label"`
}

// Status returns the public status of the item with a tracking code
// (typed as a person may type it), or an error wrapping ErrNotFound.
func (s *Service) Status(ctx context.Context, code string) (PublicStatus, error) {
	it, err := s.store.ItemByCode(ctx, code)
	if err != nil {
		return PublicStatus{}, err
	}
	evs, err := s.store.Events(ctx, it.ID)
	if err != nil {
		return PublicStatus{}, err
	}
	local := func(t time.Time) time.Time { return t.In(Vietnam) }
	localPtr := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		l := local(*t)
		return &l
	}
	st := PublicStatus{
		TrackingCode: FormatCode(it.Code), Status: it.State, StatusLabel: it.State.Label(),
		Topic: it.Topic, TopicName: s.names[it.Topic], Level: it.Level, Unit: it.Unit, Commune: it.Commune,
		SubmittedAt: local(it.CreatedAt), UpdatedAt: local(it.UpdatedAt), ExpectedAt: local(it.DueAt),
		History: []PublicStep{},
	}
	if it.State == Answered || it.State == Closed {
		// The answer as the public may read it: officers quote what they
		// were sent.
		if st.Answer, err = s.store.PublicAnswer(ctx, &it); err != nil {
			return PublicStatus{}, err
		}
		st.AnsweredAt = localPtr(it.AnsweredAt)
	}
	if it.State == Closed {
		st.Outcome, st.OutcomeLabel, st.ClosedAt = it.Outcome, it.Outcome.Label(), localPtr(it.ClosedAt)
	}
	if st.CommuneName, err = s.territoryName(ctx, it.Commune); err != nil {
		return PublicStatus{}, err
	}
	if st.ProvinceName, err = s.territoryName(ctx, it.Province); err != nil {
		return PublicStatus{}, err
	}
	if u, err := org.ParseUnit(it.Unit); err == nil {
		t, err := s.store.territories.Territory(ctx, u.Territory)
		if err != nil {
			return PublicStatus{}, fmt.Errorf("feedback: status: unit %s: %w", it.Unit, err)
		}
		st.UnitName = org.UnitName(t, u.Org)
	}
	for _, e := range evs {
		if e.To != "" {
			st.History = append(st.History, PublicStep{At: local(e.At), Status: e.To, StatusLabel: e.To.Label()})
		}
	}
	return st, nil
}

func (s *Service) territoryName(ctx context.Context, code string) (string, error) {
	t, err := s.store.territories.Territory(ctx, code)
	if err != nil {
		return "", fmt.Errorf("feedback: status: territory %s: %w", code, err)
	}
	return t.Name, nil
}
