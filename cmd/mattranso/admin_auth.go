package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
)

const authUsage = `mattranso admin grant|token — roles and bearer tokens

Commands:
  admin grant --email E --role R --unit U
        give E the role R at unit U and every unit it contains; the user is
        made if needed and linked at their first sign-on (the first admin:
        --role admin --unit VN/MTTQ)
  admin grant --remove --email E --role R --unit U
        take the role back
  admin grant list
        every user with their roles
  admin token create --email E --role R --unit U [--ttl 2160h]
        print a new bearer token for scripts, once; it carries that one role.
        E must hold R (or a role allowing everything R allows) at U or at a
        unit containing it, and the token works only while E still does.
        It expires after --ttl: default 2160h (90 days), at most 8784h
        (366 days); make a new one before then
  admin token list
        every token (never the secret): id, prefix, owner, role, unit, state
  admin token revoke ID
        end a token at once

Roles: admin, officer, reporter, viewer, staff. Units: TERRITORY/ORG, e.g.
VN/MTTQ, 79/HND, 26734/MTTQ; ORG one of MTTQ, CD, HND, DTN, HPN, CCB.
`

// openAuth opens the database with the auth and org tables up to date.
func openAuth(ctx context.Context, cfg config.Config) (*store.DB, *auth.Store, *org.Store, error) {
	db, err := store.Open(ctx, cfg.Database())
	if err != nil {
		return nil, nil, nil, err
	}
	tree := org.NewStore(db)
	if err := tree.Migrate(ctx); err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	if err := auth.Migrate(ctx, db); err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	return db, auth.NewStore(db, org.IDs{Store: tree}), tree, nil
}

// grantFlags are the flags of grant and token create.
type grantFlags struct {
	email, role, unit string
}

func (g *grantFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&g.email, "email", "", "the user's email address")
	fs.StringVar(&g.role, "role", "", "admin, officer, reporter, viewer or staff")
	fs.StringVar(&g.unit, "unit", "", "unit id TERRITORY/ORG, e.g. VN/MTTQ or 79/HND")
}

// check validates the flags at the edge; the unit must exist in the tree.
func (g *grantFlags) check(ctx context.Context, tree *org.Store, cmd string) (auth.Role, string, error) {
	var missing []string
	for _, f := range []struct{ name, v string }{{"--email", g.email}, {"--role", g.role}, {"--unit", g.unit}} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return "", "", exitError{2, fmt.Errorf("%s: missing %s", cmd, strings.Join(missing, ", "))}
	}
	role, err := auth.ParseRole(g.role)
	if err != nil {
		return "", "", exitError{2, fmt.Errorf("%s: --role: %w", cmd, err)}
	}
	u, err := org.ParseUnit(g.unit)
	if err != nil {
		return "", "", exitError{2, fmt.Errorf("%s: --unit: %w", cmd, err)}
	}
	if _, err := tree.Territory(ctx, u.Territory); errors.Is(err, org.ErrNotFound) {
		return "", "", exitError{1, fmt.Errorf("%s: --unit %s: no territory %s (import the list first: mattranso admin import-units FILE)", cmd, u, u.Territory)}
	} else if err != nil {
		return "", "", err
	}
	return role, u.String(), nil
}

// adminGrant runs "admin grant".
func adminGrant(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, authUsage)
		return nil
	}
	list := len(args) > 0 && args[0] == "list"
	if list {
		args = args[1:]
	}
	fs := flag.NewFlagSet("grant", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database)")
	var g grantFlags
	remove := false
	if !list {
		g.add(fs)
		fs.BoolVar(&remove, "remove", false, "take the role back instead")
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprint(stderr, authUsage)
		return exitError{2, fmt.Errorf("admin grant: unexpected %q", pos[0])}
	}
	db, as, tree, err := openAuth(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	if list {
		users, err := as.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tSIGNED IN\tROLES")
		for _, u := range users {
			var roles []string
			for _, gr := range u.Grants {
				roles = append(roles, string(gr.Role)+"@"+gr.Unit)
			}
			last := "never"
			if !u.User.LastLoginAt.IsZero() {
				last = u.User.LastLoginAt.Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", orDash(u.User.Email), orDash(u.User.Name), last, orDash(strings.Join(roles, " ")))
		}
		return tw.Flush()
	}

	role, unit, err := g.check(ctx, tree, "admin grant")
	if err != nil {
		return err
	}
	event := auth.Event{Actor: "command line", Unit: unit, Target: strings.ToLower(g.email) + " " + string(role), Outcome: auth.OutcomeOK}
	if remove {
		if err := as.Ungrant(ctx, g.email, role, unit); err != nil {
			if errors.Is(err, auth.ErrNotFound) {
				return exitError{1, fmt.Errorf("admin grant --remove: %w", err)}
			}
			return err
		}
		event.Action = auth.EventUngrant
		if err := as.Record(ctx, event); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed: %s is no longer %s at %s\n", strings.ToLower(g.email), role, unit)
		return nil
	}
	u, err := as.Grant(ctx, g.email, role, unit, "command line")
	if err != nil {
		return exitError{1, fmt.Errorf("admin grant: %w", err)}
	}
	event.Action, event.ActorID = auth.EventGrant, 0
	if err := as.Record(ctx, event); err != nil {
		return err
	}
	note := ""
	if u.Subject == "" {
		note = " (linked when they first sign in)"
	}
	fmt.Fprintf(stdout, "granted: %s is %s at %s%s\n", u.Email, role, unit, note)
	return nil
}

// adminToken runs "admin token create|list|revoke".
func adminToken(ctx context.Context, cfg config.Config, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" {
		fmt.Fprint(stdout, authUsage)
		if len(args) == 0 {
			return exitError{2, errors.New("admin token: name a command: create, list or revoke")}
		}
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (database)")
	var g grantFlags
	ttl := auth.DefaultTokenTTL
	switch sub {
	case "create":
		g.add(fs)
		fs.DurationVar(&ttl, "ttl", auth.DefaultTokenTTL, "lifetime, e.g. 720h; at most 8784h (366 days)")
	case "list", "revoke":
	default:
		fmt.Fprint(stderr, authUsage)
		return exitError{2, fmt.Errorf("admin token: unknown command %q", sub)}
	}
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	var id int64
	switch {
	case sub == "revoke" && len(pos) != 1:
		return exitError{2, errors.New("admin token revoke: name one token id (see admin token list)")}
	case sub == "revoke":
		if id, err = strconv.ParseInt(pos[0], 10, 64); err != nil || id <= 0 {
			return exitError{2, fmt.Errorf("admin token revoke: %q is not a token id (a positive number; see admin token list)", pos[0])}
		}
	case len(pos) > 0:
		return exitError{2, fmt.Errorf("admin token %s: unexpected %q", sub, pos[0])}
	case ttl < 0:
		return exitError{2, fmt.Errorf("admin token create: --ttl %s is negative", ttl)}
	case ttl == 0:
		return exitError{2, errors.New("admin token create: --ttl 0: every token expires; give a lifetime up to 8784h (366 days)")}
	case ttl > auth.MaxTokenTTL:
		return exitError{2, fmt.Errorf("admin token create: --ttl %s is over the maximum, 8784h (366 days)", ttl)}
	}
	db, as, tree, err := openAuth(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()

	switch sub {
	case "create":
		role, unit, err := g.check(ctx, tree, "admin token create")
		if err != nil {
			return err
		}
		secret, t, err := as.CreateToken(ctx, auth.TokenSpec{Email: g.email, Role: role, Unit: unit, TTL: ttl, CreatedBy: "command line"})
		if errors.Is(err, auth.ErrNotHeld) {
			return exitError{1, fmt.Errorf("admin token create: %w; a token carries a role its holder holds: "+
				"grant it first (mattranso admin grant --email %s --role %s --unit %s)", err, strings.ToLower(g.email), role, unit)}
		}
		if err != nil {
			return exitError{1, fmt.Errorf("admin token create: %w", err)}
		}
		if err := as.Record(ctx, auth.Event{Action: auth.EventTokenCreate, Actor: "command line", Unit: unit,
			Target: "token " + strconv.FormatInt(t.ID, 10) + " (" + t.Prefix + "…, " + t.Email + ")", Outcome: auth.OutcomeOK}); err != nil {
			return err
		}
		// The secret alone on stdout, for scripts; the rest on stderr.
		fmt.Fprintln(stdout, secret)
		fmt.Fprintf(stderr, "token %d for %s: %s at %s, expires %s UTC, works while %s holds the role. It is shown once: keep it secret.\n",
			t.ID, t.Email, t.Role, t.Unit, t.ExpiresAt.Format(time.DateTime), t.Email)
	case "list":
		tokens, err := as.Tokens(ctx)
		if err != nil {
			return err
		}
		now := time.Now()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tEMAIL\tROLE\tUNIT\tCREATED\tSTATE\tLAST USED")
		for _, t := range tokens {
			state := "active"
			switch {
			case !t.RevokedAt.IsZero():
				state = "revoked " + t.RevokedAt.Format(time.DateOnly)
			case !t.Active(now):
				state = "expired " + t.ExpiresAt.Format(time.DateOnly)
			case !t.ExpiresAt.IsZero():
				state = "until " + t.ExpiresAt.Format(time.DateOnly)
			}
			if t.Active(now) {
				held, err := as.TokenHeld(ctx, t)
				if err != nil {
					return err
				}
				if !held {
					state = "no grant (" + t.Email + " no longer holds " + string(t.Role) + ")"
				}
			}
			used := "never"
			if !t.LastUsedAt.IsZero() {
				used = t.LastUsedAt.Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%d\t%s…\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Prefix, t.Email, t.Role, t.Unit, t.CreatedAt.Format(time.DateOnly), state, used)
		}
		return tw.Flush()
	case "revoke":
		t, err := as.RevokeToken(ctx, id)
		if errors.Is(err, auth.ErrNotFound) {
			return exitError{1, fmt.Errorf("admin token revoke: no token %d", id)}
		}
		if err != nil {
			return err
		}
		if err := as.Record(ctx, auth.Event{Action: auth.EventTokenRevoke, Actor: "command line", Unit: t.Unit,
			Target: "token " + strconv.FormatInt(t.ID, 10) + " (" + t.Prefix + "…, " + t.Email + ")", Outcome: auth.OutcomeOK}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked: token %d (%s…) of %s\n", t.ID, t.Prefix, t.Email)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
