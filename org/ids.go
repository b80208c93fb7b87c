package org

import "context"

// IDs is the unit tree addressed by unit ids as strings ("79/MTTQ") — the
// form auth and the other modules hold them in.
type IDs struct{ Store *Store }

// Contains reports whether unit a contains unit b (see Store.Contains).
func (u IDs) Contains(ctx context.Context, a, b string) (bool, error) {
	ua, err := ParseUnit(a)
	if err != nil {
		return false, err
	}
	ub, err := ParseUnit(b)
	if err != nil {
		return false, err
	}
	return u.Store.Contains(ctx, ua, ub)
}

// UnitName names a unit for people: "Hội Nông dân Xã Ba Chẽ".
func (u IDs) UnitName(ctx context.Context, unit string) (string, error) {
	x, err := ParseUnit(unit)
	if err != nil {
		return "", err
	}
	t, err := u.Store.Territory(ctx, x.Territory)
	if err != nil {
		return "", err
	}
	return UnitName(t, x.Org), nil
}

// Containers lists the ids of the units that contain unit, unit itself
// first (see Store.Containers).
func (u IDs) Containers(ctx context.Context, unit string) ([]string, error) {
	x, err := ParseUnit(unit)
	if err != nil {
		return nil, err
	}
	us, err := u.Store.Containers(ctx, x)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(us))
	for i, c := range us {
		out[i] = c.String()
	}
	return out, nil
}
