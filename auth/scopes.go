package auth

import (
	"fmt"
	"net/http"
)

// ScopesOf is Scopes for the sender of r: the units at which they hold a
// role allowing action, for a handler that lists or sums records "of
// these units and below" and picks a default unit. It returns an error
// wrapping ErrUnauthenticated when nobody is signed in (pass it to Fail),
// and an empty list, without error, to a user whose roles allow the
// action nowhere.
func ScopesOf(r *http.Request, action Action) ([]string, error) {
	st := stateFrom(r)
	if st == nil {
		return nil, fmt.Errorf("auth: scopes of %s: %w", action, ErrUnauthenticated)
	}
	id, err := st.identity()
	if err != nil {
		return nil, err
	}
	if id == nil {
		return nil, fmt.Errorf("auth: scopes of %s: %w", action, ErrUnauthenticated)
	}
	return Scopes(id, action), nil
}

// Scopes is ScopesOf as a method of Check, for a module that declares
//
//	type Scoper interface {
//		Scopes(r *http.Request, action string) ([]string, error)
//	}
//
// beside its Authorizer.
func (checker) Scopes(r *http.Request, action string) ([]string, error) {
	return ScopesOf(r, Action(action))
}
