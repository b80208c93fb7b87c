package auth_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/congress"
)

// The rows of the congress routes: each acts on the congress of the
// target committee (a commune's Front unit). Reading a congress, a list
// or a summary is public and not in the matrix.
var congressEndpoints = []endpoint{
	{name: "PUT /api/v1/congress/{term}/congresses/{territory}", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			chair := "Nguyễn Văn " + randomName()
			ok := status(t, f.do(http.MethodPut, congressURL(target), token,
				strings.NewReader(`{"status":"preparing","chair":"`+chair+`"}`), "Content-Type", "application/json"), http.StatusOK)
			return ok && congressChair(t, f, target) == chair
		}},
	{name: "PATCH /api/v1/congress/{term}/congresses/{territory}", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			chair := "Trần Thị " + randomName()
			ok := status(t, f.do(http.MethodPatch, congressURL(target), token,
				strings.NewReader(`{"chair":"`+chair+`"}`), "Content-Type", "application/json"), http.StatusOK)
			return ok && congressChair(t, f, target) == chair
		}},
	{name: "GET /api/v1/congress/{term}/congresses/{territory}/history", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Officer, auth.Reporter, auth.Viewer},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get(congressURL(target)+"/history", token), http.StatusOK)
		}},
	{name: "POST /api/v1/congress/{term}/attachments", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			clearAttachments(t, f, target)
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			mw.WriteField("territory", commune(target))
			mw.WriteField("kind", "resolution")
			fw, _ := mw.CreateFormFile("file", "nghi-quyet.pdf")
			fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
			mw.Close()
			return status(t, f.do(http.MethodPost, "/api/v1/congress/"+congress.DefaultTerm+"/attachments", token, &b,
				"Content-Type", mw.FormDataContentType()), http.StatusCreated)
		}},
	{name: "DELETE /api/v1/congress/{term}/congresses/{territory}/attachments/{id}", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			clearAttachments(t, f, target)
			_, a, err := f.congress.AddAttachment(t.Context(), congress.DefaultTerm, commune(target),
				congress.File{Kind: congress.Resolution, Name: "nq.pdf", Data: []byte("%PDF-1.4\n%%EOF\n")}, "test")
			if err != nil {
				t.Fatal(err)
			}
			return status(t, f.do(http.MethodDelete, congressURL(target)+fmt.Sprintf("/attachments/%d", a.ID), token, nil), http.StatusOK)
		}},
	{name: "GET /dai-hoi/{term}/{territory}/cap-nhat", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			return status(t, f.get(congress.EntryURL(congress.DefaultTerm, commune(target)), token), http.StatusOK)
		}},
	{name: "POST /dai-hoi/{term}/{territory}/cap-nhat", orgOnly: true,
		allowed: []auth.Role{auth.Admin, auth.Reporter},
		try: func(t *testing.T, f *fixture, token, target string) bool {
			c, err := f.congress.Get(t.Context(), congress.DefaultTerm, commune(target))
			if err != nil {
				t.Fatal(err)
			}
			chair := "Lê Văn " + randomName()
			form := url.Values{"version": {fmt.Sprint(c.Version)}, "status": {"preparing"}, "chair": {chair}}
			ok := status(t, f.do(http.MethodPost, congress.EntryURL(congress.DefaultTerm, commune(target)), token,
				strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded"), http.StatusSeeOther)
			return ok && congressChair(t, f, target) == chair
		}},
}

func init() { endpoints = append(endpoints, congressEndpoints...) }

func congressURL(unit string) string {
	return "/api/v1/congress/" + congress.DefaultTerm + "/congresses/" + commune(unit)
}

// congressChair is the chair stored for the congress of unit's committee.
func congressChair(t *testing.T, f *fixture, unit string) string {
	t.Helper()
	c, err := f.congress.Get(t.Context(), congress.DefaultTerm, commune(unit))
	if err != nil {
		t.Fatal(err)
	}
	return c.Chair
}

// clearAttachments removes the attachments of unit's congress: a
// congress holds a bounded number, and the matrix adds many.
func clearAttachments(t *testing.T, f *fixture, unit string) {
	t.Helper()
	c, err := f.congress.Get(t.Context(), congress.DefaultTerm, commune(unit))
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range c.Attachments {
		if _, err := f.congress.RemoveAttachment(t.Context(), congress.DefaultTerm, commune(unit), a.ID, "test"); err != nil {
			t.Fatal(err)
		}
	}
}
