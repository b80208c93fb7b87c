package auth_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/org"
)

// The rows of units' own data: profiles (read with report.read, written
// with org.profile.write), staff lists (personal data: org.staff.read and
// org.staff.write) and the imports, each on the target unit itself; the
// villages import on a commune's Front unit. The rollout figures ask on a
// province's or the country's Front unit, which the relations' commune
// targets cannot give: org's handler tests cover them.
var orgDataEndpoints = []endpoint{
	{name: "GET /api/v1/org/units/{territory}/{org}/profile",
		allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get("/api/v1/org/units/"+target+"/profile", token), http.StatusOK)
		}},
	{name: "PUT /api/v1/org/units/{territory}/{org}/profile", allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			body := fmt.Sprintf(`{"members":%d}`, 100+nameSeq)
			nameSeq++
			return status(t, f.do(http.MethodPut, "/api/v1/org/units/"+target+"/profile", token,
				strings.NewReader(body), "Content-Type", "application/json"), http.StatusOK)
		}},
	{name: "GET /api/v1/org/units/{territory}/{org}/staff (sees the phone)", allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			phone := staffOf(t, f, target)
			r := f.get("/api/v1/org/units/"+target+"/staff", token)
			if r.status != http.StatusOK && strings.Contains(r.body, phone) {
				t.Errorf("a refusal shows the phone: %s", r.body)
			}
			return status(t, r, http.StatusOK) && strings.Contains(r.body, phone)
		}},
	{name: "PUT /api/v1/org/units/{territory}/{org}/staff", allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			body := fmt.Sprintf(`{"people":[{"name":"Người %s","phone":"0912 000 %03d"}]}`, randomName(), nameSeq%1000)
			return status(t, f.do(http.MethodPut, "/api/v1/org/units/"+target+"/staff", token,
				strings.NewReader(body), "Content-Type", "application/json"), http.StatusOK)
		}},
	{name: "POST /api/v1/org/units/{territory}/{org}/staff/import", allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			body := "Họ và tên,Điện thoại\nNgười " + randomName() + ",0912000111\n"
			return status(t, f.do(http.MethodPost, "/api/v1/org/units/"+target+"/staff/import", token,
				strings.NewReader(body), "Content-Type", "text/csv"), http.StatusOK)
		}},
	{name: "POST /api/v1/org/territories/{commune}/villages/import", orgOnly: true, allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			body := "Tên,Loại\n" + randomName() + ",Thôn\n"
			return status(t, f.do(http.MethodPost, "/api/v1/org/territories/"+commune(target)+"/villages/import", token,
				strings.NewReader(body), "Content-Type", "text/csv"), http.StatusCreated)
		}},
	{name: "GET /don-vi/{territory}/{org}", allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get("/don-vi/"+target, token), http.StatusOK)
		}},
	{name: "POST /don-vi/{territory}/{org}/ho-so", allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			p, err := f.org.Profile(t.Context(), unitOf(t, target))
			if err != nil {
				t.Fatal(err)
			}
			form := url.Values{"version": {fmt.Sprint(p.Version)}, "members": {fmt.Sprint(p.Members + 1)}}
			r := f.do(http.MethodPost, "/don-vi/"+target+"/ho-so", token, strings.NewReader(form.Encode()),
				"Content-Type", "application/x-www-form-urlencoded")
			if r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/don-vi/") {
				return true
			}
			return status(t, r, http.StatusSeeOther)
		}},
	{name: "POST /don-vi/{territory}/{org}/can-bo", allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			form := url.Values{"name": {"Người " + randomName()}}
			r := f.do(http.MethodPost, "/don-vi/"+target+"/can-bo", token, strings.NewReader(form.Encode()),
				"Content-Type", "application/x-www-form-urlencoded")
			if r.status == http.StatusSeeOther && strings.HasPrefix(r.header.Get("Location"), "/don-vi/") {
				return true
			}
			return status(t, r, http.StatusSeeOther)
		}},
}

func init() { endpoints = append(endpoints, orgDataEndpoints...) }

func unitOf(t *testing.T, id string) org.Unit {
	t.Helper()
	u, err := org.ParseUnit(id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// staffOf gives the target unit a staff list with a fresh phone number,
// and returns it.
func staffOf(t *testing.T, f *fixture, target string) string {
	t.Helper()
	nameSeq++
	phone := fmt.Sprintf("0988 %06d", nameSeq)
	if _, _, err := f.org.SaveStaff(t.Context(), unitOf(t, target), []org.Person{{Name: "Chủ tịch " + randomName(), Position: "Chủ tịch", Phone: phone}}, -1, "test"); err != nil {
		t.Fatal(err)
	}
	return phone
}
