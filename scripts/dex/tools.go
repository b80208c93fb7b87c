//go:build tools

// Package dex pins the Dex OpenID Connect provider that the tests sign in
// through. It is a module of its own so that Dex's dependencies stay out of
// mattranso's go.mod; scripts/test.sh builds it into a cache directory:
//
//	go build -o DIR/dex github.com/dexidp/dex/cmd/dex
//
// `go install github.com/dexidp/dex/cmd/dex@latest` resolves to a broken
// 2018 release, so the version is pinned here, at the commit tagged v2.45.1.
package dex

import _ "github.com/dexidp/dex/cmd/dex"
