package feedback_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
	"github.com/mattranso/mattranso/auth"
	"github.com/mattranso/mattranso/feedback"
	"github.com/mattranso/mattranso/org"
	"github.com/mattranso/mattranso/store"
	"github.com/mattranso/mattranso/store/storetest"
	"github.com/mattranso/mattranso/web"
)

// The field lists of Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2
// and /Service_Discovery), in the specification's order, which the XML
// keeps and the JSON's keys must equal.
var (
	specDiscovery  = []string{"changeset", "contact", "key_service", "endpoints"}
	specEndpoint   = []string{"specification", "url", "changeset", "type", "formats"}
	specService    = []string{"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
	specDefinition = []string{"service_code", "attributes"}
	specAttribute  = []string{"variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"}
	specValue      = []string{"key", "name"}
	specCreated    = []string{"service_request_id", "service_notice", "account_id"}
	specToken      = []string{"service_request_id", "token"}
	specRequest    = []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
		"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address",
		"address_id", "zipcode", "lat", "long", "media_url"}
	specError = []string{"code", "description"}
)

// The specification's types for a request's fields: the datetimes and the
// ids always strings, lat and long numbers, the rest strings; "may not be
// returned" fields may be null.
var requestKinds = map[string][]string{
	"service_request_id": {"string"}, "status": {"string"}, "requested_datetime": {"string"}, "updated_datetime": {"string"},
	"status_notes": {"string", "null"}, "service_name": {"string", "null"}, "service_code": {"string", "null"},
	"description": {"string", "null"}, "agency_responsible": {"string", "null"}, "service_notice": {"string", "null"},
	"expected_datetime": {"string", "null"}, "address": {"string", "null"}, "address_id": {"string", "null"},
	"zipcode": {"string", "null"}, "lat": {"number", "null"}, "long": {"number", "null"}, "media_url": {"string", "null"},
}

const o311Public = "https://pakn.example.vn"

// o311Env is the Open311 API as serve mounts it — the site's shell with
// auth's middleware in front — over a feedback env, with a real API key.
type o311Env struct {
	*env
	site  http.Handler
	auth  *auth.Service
	token string
}

// apiClient is serve's Open311 client: the holder of a bearer token.
func apiClient(r *http.Request) (string, bool) {
	id := auth.UserFrom(r)
	if id == nil || id.Method != auth.ByToken {
		return "", false
	}
	return id.User.Email + " (token " + strconv.FormatInt(id.TokenID, 10) + ")", true
}

func newO311(t *testing.T, db *store.DB) *o311Env {
	t.Helper()
	e := newEnv(t, db, envOptions{})
	ctx := context.Background()
	if err := auth.Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	as, err := auth.New(auth.Options{DB: db, Units: org.IDs{Store: e.tree}, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	o := &o311Env{env: e, auth: as}
	if _, err := as.Store().Grant(ctx, "ung.dung@mttq.vn", auth.Officer, "79/MTTQ", "test"); err != nil {
		t.Fatal(err)
	}
	o.token, _ = o.newToken(t)
	o.site = web.New(web.Options{
		Logger: discard,
		Modules: []web.Module{
			{Name: "feedback", Templates: feedback.Templates, Funcs: feedback.TemplateFuncs, BodyLimits: feedback.BodyLimits,
				Mount: func(r web.Router, p *web.Renderer) error {
					e.svc.Register(r, p)
					e.svc.RegisterOpen311(r, feedback.Open311Options{PublicURL: o311Public, Client: apiClient})
					return nil
				}},
			// Who auth says sent a request, to see where api_key counts.
			{Name: "probe", Mount: func(r web.Router, _ *web.Renderer) error {
				r.Handle(http.MethodGet, "/api/v1/probe", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					who := ""
					if id := auth.UserFrom(r); id != nil {
						who = id.User.Email
					}
					api.WriteJSON(w, http.StatusOK, map[string]string{"who": who})
				}))
				return nil
			}},
		},
		Middleware: []func(http.Handler) http.Handler{as.Middleware},
		CSRFField:  auth.CSRFField,
	})
	return o
}

// newToken makes an API key for an application's account: its secret
// and id.
func (o *o311Env) newToken(t *testing.T) (string, int64) {
	t.Helper()
	secret, tok, err := o.auth.Store().CreateToken(context.Background(),
		auth.TokenSpec{Email: "ung.dung@mttq.vn", Role: auth.Officer, Unit: "79/MTTQ", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return secret, tok.ID
}

func (o *o311Env) call(t *testing.T, method, target, ct string, body []byte, header ...string) answer {
	t.Helper()
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	o.site.ServeHTTP(w, r)
	return answer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

func (o *o311Env) get(t *testing.T, target string) answer {
	t.Helper()
	return o.call(t, http.MethodGet, target, "", nil)
}

func (o *o311Env) postForm(t *testing.T, format string, form url.Values, header ...string) answer {
	t.Helper()
	return o.call(t, http.MethodPost, feedback.Open311Path+"/requests."+format, "application/x-www-form-urlencoded; charset=utf-8",
		[]byte(form.Encode()), header...)
}

// rawContent is what a citizen wrote, with their own name, phone number
// and house number in it; publicText is that text as an officer reviewed
// it. Nothing of the first but what the second keeps may reach a GET.
const (
	rawContent = "Tôi là Nguyễn Văn An, số điện thoại 0912 345 678, nhà số 12 Lê Lợi: đường trước nhà ngập nước mỗi khi mưa, đề nghị phường sửa cống."
	publicText = "Tôi là [họ tên], số điện thoại [số điện thoại], nhà số [địa chỉ]: đường trước nhà ngập nước mỗi khi mưa, đề nghị phường sửa cống."
)

// leaks are the submitters' details that no GET may carry.
var leaks = []string{"Nguyễn Văn An", "Văn An", "0912 345 678", "0912345678", "an.nguyen@example.vn", "Trần Thị Bình",
	"0987.654.321", "0987654321", "binh.tran@example.vn", "Lê Lợi", "10.7769", "106.7009", "acc-77", "may-01"}

func goodForm(key string) url.Values {
	v := url.Values{
		"jurisdiction_id": {"vn"}, "service_code": {"giao_thong"}, "lat": {"10.7769"}, "long": {"106.7009"},
		"address_string": {"12 Lê Lợi"}, "email": {"an.nguyen@example.vn"}, "device_id": {"may-01"}, "account_id": {"acc-77"},
		"first_name": {"Văn An"}, "last_name": {"Nguyễn"}, "phone": {"0912 345 678"}, "description": {rawContent},
		"attribute[commune_code]": {"26734"}, "attribute[village_code]": {"26734-001"},
	}
	if key != "" {
		v.Set("api_key", key)
	}
	return v
}

// xnode is an element of an XML answer: its name, text and children, to
// compare element names with the specification's.
type xnode struct {
	name string
	text string
	kids []*xnode
}

// parseXML reads an XML answer, checking what the specification asks of
// every one: text/xml in UTF-8, the declaration, no namespace, no
// attributes.
func parseXML(t *testing.T, a answer) *xnode {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "text/xml; charset=utf-8" {
		t.Errorf("Content-Type %q, want text/xml; charset=utf-8", ct)
	}
	if !bytes.HasPrefix(a.body, []byte(`<?xml version="1.0" encoding="utf-8"?>`)) {
		t.Errorf("no XML declaration with the encoding: %.80s", a.body)
	}
	d := xml.NewDecoder(bytes.NewReader(a.body))
	root := &xnode{}
	stack := []*xnode{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("XML answer: %v\n%s", err, a.body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Space != "" || len(tok.Attr) > 0 {
				t.Errorf("element %s has a namespace or attributes", tok.Name.Local)
			}
			n := &xnode{name: tok.Name.Local}
			top := stack[len(stack)-1]
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.CharData:
			stack[len(stack)-1].text += string(tok)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if len(root.kids) != 1 {
		t.Fatalf("XML answer has %d root elements", len(root.kids))
	}
	return root.kids[0]
}

func (n *xnode) names() []string {
	out := make([]string, len(n.kids))
	for i, k := range n.kids {
		out[i] = k.name
	}
	return out
}

// wantElements checks that n is named name and its children are want, in
// that order.
func wantElements(t *testing.T, n *xnode, name string, want ...string) {
	t.Helper()
	if n.name != name {
		t.Errorf("element %s, want %s", n.name, name)
	}
	if got := n.names(); !slices.Equal(got, want) {
		t.Errorf("<%s> holds %v, want %v", n.name, got, want)
	}
}

// wantAll checks that every child of n is named name.
func wantAll(t *testing.T, n *xnode, name string) {
	t.Helper()
	for _, k := range n.kids {
		if k.name != name {
			t.Errorf("<%s> holds <%s>, want only <%s>", n.name, k.name, name)
		}
	}
}

func (n *xnode) kid(name string) *xnode {
	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}
	return &xnode{}
}

type object = map[string]json.RawMessage

// jsonAnswer reads a JSON answer into v, checking its Content-Type.
func jsonAnswer(t *testing.T, a answer, v any) {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q, want application/json; charset=utf-8", ct)
	}
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("JSON answer %d: %v\n%s", a.status, err, a.body)
	}
}

// wantKeys checks that an object has exactly the keys want.
func wantKeys(t *testing.T, what string, m object, want ...string) {
	t.Helper()
	got := slices.Sorted(maps.Keys(m))
	w := slices.Clone(want)
	sort.Strings(w)
	if !slices.Equal(got, w) {
		t.Errorf("%s has keys %v, want %v", what, got, w)
	}
}

// kind is the JSON type of a value.
func kind(raw json.RawMessage) string {
	switch s := strings.TrimSpace(string(raw)); {
	case s == "null":
		return "null"
	case s == "true" || s == "false":
		return "bool"
	case strings.HasPrefix(s, `"`):
		return "string"
	case strings.HasPrefix(s, "["):
		return "array"
	case strings.HasPrefix(s, "{"):
		return "object"
	}
	return "number"
}

// show is an object as JSON, for messages.
func show(m object) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func str(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatalf("%s is not a string", raw)
	}
	return s
}

// wantW3C checks a time as the specification writes it: ISO 8601 with the
// zone, here Vietnam's.
func wantW3C(t *testing.T, what, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil || !strings.HasSuffix(s, "+07:00") {
		t.Errorf("%s %q is not an ISO 8601 time in +07:00", what, s)
	}
	return tm
}

// wantError checks the specification's error document: status, one or
// more errors of code and description, code the status, the description
// naming field and Vietnamese before its English.
func wantError(t *testing.T, what string, a answer, format string, status int, field string) {
	t.Helper()
	if a.status != status {
		t.Errorf("%s: %d, want %d: %s", what, a.status, status, a.body)
		return
	}
	var descs []string
	if format == "json" {
		var errs []object
		jsonAnswer(t, a, &errs)
		if len(errs) == 0 {
			t.Errorf("%s: no error in %s", what, a.body)
		}
		for _, e := range errs {
			wantKeys(t, what+": error", e, specError...)
			if kind(e["code"]) != "number" || string(e["code"]) != strconv.Itoa(status) {
				t.Errorf("%s: code %s, want %d", what, e["code"], status)
			}
			descs = append(descs, str(t, e["description"]))
		}
	} else {
		root := parseXML(t, a)
		if root.name != "errors" || len(root.kids) == 0 {
			t.Errorf("%s: root <%s> with %d children, want <errors> with errors", what, root.name, len(root.kids))
		}
		wantAll(t, root, "error")
		for _, e := range root.kids {
			wantElements(t, e, "error", specError...)
			if c := e.kid("code").text; c != strconv.Itoa(status) {
				t.Errorf("%s: <code>%s</code>, want %d", what, c, status)
			}
			descs = append(descs, e.kid("description").text)
		}
	}
	for _, d := range descs {
		if !strings.Contains(d, field) {
			t.Errorf("%s: the description does not name %s: %s", what, field, d)
		}
		vi, _, ok := strings.Cut(d, " (")
		if !ok || !strings.ContainsFunc(vi, func(r rune) bool { return r >= utf8.RuneSelf }) {
			t.Errorf("%s: the description is not Vietnamese then English in brackets: %s", what, d)
		}
	}
}

// discovery, the services and their definitions, in both formats, field
// for field as the specification lists them.
func TestOpen311DiscoveryAndServices(t *testing.T) {
	o := newO311(t, storetest.SQLite(t))

	var d object
	a := o.get(t, feedback.Open311Path+"/discovery.json")
	jsonAnswer(t, a, &d)
	wantKeys(t, "discovery", d, specDiscovery...)
	var eps []object
	if err := json.Unmarshal(d["endpoints"], &eps); err != nil || len(eps) != 1 {
		t.Fatalf("endpoints %s: %v", d["endpoints"], err)
	}
	wantKeys(t, "endpoint", eps[0], specEndpoint...)
	var formats []string
	if err := json.Unmarshal(eps[0]["formats"], &formats); err != nil || !slices.Equal(formats, []string{"text/xml", "application/json"}) {
		t.Errorf("formats %s", eps[0]["formats"])
	}
	if s := str(t, eps[0]["specification"]); s != "http://wiki.open311.org/GeoReport_v2" {
		t.Errorf("specification %q", s)
	}
	if u := str(t, eps[0]["url"]); u != o311Public+"/open311/v2" {
		t.Errorf("endpoint url %q", u)
	}
	if ty := str(t, eps[0]["type"]); ty != "production" {
		t.Errorf("type %q", ty)
	}
	if got := wantW3C(t, "changeset", str(t, d["changeset"])); !got.Equal(o.now) || str(t, eps[0]["changeset"]) != str(t, d["changeset"]) {
		t.Errorf("changeset %s / %s, want the start %s", d["changeset"], eps[0]["changeset"], o.now)
	}
	for _, k := range []string{"contact", "key_service"} {
		if str(t, d[k]) == "" {
			t.Errorf("%s is empty", k)
		}
	}
	if !strings.Contains(str(t, d["key_service"]), "api_key") {
		t.Errorf("key_service does not say how a key is sent: %s", d["key_service"])
	}

	root := parseXML(t, o.get(t, feedback.Open311Path+"/discovery.xml"))
	wantElements(t, root, "discovery", specDiscovery...)
	wantAll(t, root.kid("endpoints"), "endpoint")
	ep := root.kid("endpoints").kid("endpoint")
	wantElements(t, ep, "endpoint", specEndpoint...)
	wantElements(t, ep.kid("formats"), "formats", "format", "format")
	var xd struct {
		XMLName   xml.Name `xml:"discovery"`
		Changeset string   `xml:"changeset"`
		Endpoints []struct {
			URL     string   `xml:"url"`
			Type    string   `xml:"type"`
			Formats []string `xml:"formats>format"`
		} `xml:"endpoints>endpoint"`
	}
	if err := xml.Unmarshal(o.get(t, feedback.Open311Path+"/discovery.xml").body, &xd); err != nil {
		t.Fatal(err)
	}
	if xd.Changeset != str(t, d["changeset"]) || len(xd.Endpoints) != 1 || xd.Endpoints[0].URL != o311Public+"/open311/v2" ||
		!slices.Equal(xd.Endpoints[0].Formats, formats) {
		t.Errorf("discovery.xml says %+v", xd)
	}

	// The services are the taxonomy's topics, with their Vietnamese names.
	var services []object
	jsonAnswer(t, o.get(t, feedback.Open311Path+"/services.json?jurisdiction_id=vn"), &services)
	ids := []string{}
	for _, s := range services {
		wantKeys(t, "service", s, specService...)
		code := str(t, s["service_code"])
		ids = append(ids, code)
		for _, k := range []string{"service_code", "service_name", "description", "type", "keywords", "group"} {
			if kind(s[k]) != "string" || str(t, s[k]) == "" {
				t.Errorf("service %s: %s is %s", code, k, s[k])
			}
		}
		if string(s["metadata"]) != "true" || str(t, s["type"]) != "realtime" {
			t.Errorf("service %s: metadata %s, type %s", code, s["metadata"], s["type"])
		}
		if name := str(t, s["service_name"]); name != o.svc.TopicName(code) {
			t.Errorf("service %s named %q, want %q", code, name, o.svc.TopicName(code))
		}
	}
	if len(services) < 10 || !slices.Contains(ids, "giao_thong") || !slices.Contains(ids, "khac") {
		t.Errorf("services %v", ids)
	}
	if s := services[slices.Index(ids, "giao_thong")]; str(t, s["service_name"]) != "Giao thông" ||
		!strings.Contains(str(t, s["keywords"]), "giao thông") {
		t.Errorf("giao_thong: %s", show(s))
	}

	sx := o.get(t, feedback.Open311Path+"/services.xml")
	root = parseXML(t, sx)
	if root.name != "services" || len(root.kids) != len(services) {
		t.Errorf("services.xml: <%s> with %d services, want %d", root.name, len(root.kids), len(services))
	}
	wantAll(t, root, "service")
	for _, s := range root.kids {
		wantElements(t, s, "service", specService...)
	}
	var xs struct {
		Services []struct {
			Code     string `xml:"service_code"`
			Name     string `xml:"service_name"`
			Metadata bool   `xml:"metadata"`
			Type     string `xml:"type"`
		} `xml:"service"`
	}
	if err := xml.Unmarshal(sx.body, &xs); err != nil {
		t.Fatal(err)
	}
	for i, s := range xs.Services {
		if s.Code != ids[i] || s.Name != o.svc.TopicName(s.Code) || !s.Metadata || s.Type != "realtime" {
			t.Errorf("services.xml service %d: %+v", i, s)
		}
	}

	// A definition: the attributes routing needs.
	datatypes := []string{"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
	for _, code := range []string{"giao_thong", "tham_nhung_tieu_cuc"} {
		var def object
		jsonAnswer(t, o.get(t, feedback.Open311Path+"/services/"+code+".json"), &def)
		wantKeys(t, "definition", def, specDefinition...)
		if str(t, def["service_code"]) != code {
			t.Errorf("definition of %s names %s", code, def["service_code"])
		}
		var attrs []object
		if err := json.Unmarshal(def["attributes"], &attrs); err != nil {
			t.Fatal(err)
		}
		got := map[string]object{}
		orders := map[string]bool{}
		for _, at := range attrs {
			c := str(t, at["code"])
			got[c] = at
			dt := str(t, at["datatype"])
			if !slices.Contains(datatypes, dt) {
				t.Errorf("attribute %s: datatype %q", c, dt)
			}
			// values holds the choices of a list, and nothing else's.
			wantKeys(t, "attribute "+c, at, specAttribute...)
			var values []object
			if err := json.Unmarshal(at["values"], &values); err != nil || kind(at["values"]) != "array" ||
				(len(values) > 0) != strings.HasSuffix(dt, "valuelist") {
				t.Errorf("attribute %s (%s): values %s", c, dt, at["values"])
			}
			for _, v := range values {
				wantKeys(t, "value", v, specValue...)
			}
			for _, k := range []string{"variable", "required"} {
				if kind(at[k]) != "bool" {
					t.Errorf("attribute %s: %s is %s", c, k, at[k])
				}
			}
			n, err := strconv.Atoi(string(at["order"]))
			if err != nil || n < 1 || orders[string(at["order"])] {
				t.Errorf("attribute %s: order %s (positive and unique)", c, at["order"])
			}
			orders[string(at["order"])] = true
		}
		if c := got["commune_code"]; string(c["required"]) != "true" || string(c["variable"]) != "true" {
			t.Errorf("commune_code is not a required input: %s", show(c))
		}
		if len(got) != 3 || got["village_code"] == nil || string(got["level"]["datatype"]) != `"singlevaluelist"` {
			t.Errorf("attributes %v", slices.Sorted(maps.Keys(got)))
		}
		raised := strings.Contains(str(t, got["level"]["description"]), "province")
		if raised != (code == "tham_nhung_tieu_cuc") {
			t.Errorf("%s: the level's description says raised=%v: %s", code, raised, got["level"]["description"])
		}

		dx := o.get(t, feedback.Open311Path+"/services/"+code+".xml")
		root := parseXML(t, dx)
		wantElements(t, root, "service_definition", specDefinition...)
		wantAll(t, root.kid("attributes"), "attribute")
		for _, at := range root.kid("attributes").kids {
			wantElements(t, at, "attribute", specAttribute...)
			wantAll(t, at.kid("values"), "value")
			if n := len(at.kid("values").kids); (n > 0) != strings.HasSuffix(at.kid("datatype").text, "valuelist") {
				t.Errorf("attribute %s (%s) has %d values", at.kid("code").text, at.kid("datatype").text, n)
			}
			for _, v := range at.kid("values").kids {
				wantElements(t, v, "value", specValue...)
			}
		}
		var xdef struct {
			Code       string `xml:"service_code"`
			Attributes []struct {
				Variable bool   `xml:"variable"`
				Code     string `xml:"code"`
				Required bool   `xml:"required"`
				Order    int    `xml:"order"`
				Values   []struct {
					Key  string `xml:"key"`
					Name string `xml:"name"`
				} `xml:"values>value"`
			} `xml:"attributes>attribute"`
		}
		if err := xml.Unmarshal(dx.body, &xdef); err != nil {
			t.Fatal(err)
		}
		if xdef.Code != code || len(xdef.Attributes) != 3 || !xdef.Attributes[0].Required || xdef.Attributes[0].Code != "commune_code" ||
			len(xdef.Attributes[2].Values) != 3 || xdef.Attributes[2].Values[0].Key != "commune" {
			t.Errorf("definition XML of %s: %+v", code, xdef)
		}
	}

	// What does not exist is a 404 in the specification's format.
	wantError(t, "an unknown service", o.get(t, feedback.Open311Path+"/services/khong_co.json"), "json", 404, "service_code")
	wantError(t, "an unknown service", o.get(t, feedback.Open311Path+"/services/khong_co.xml"), "xml", 404, "service_code")
	wantError(t, "an unknown format", o.get(t, feedback.Open311Path+"/services.html"), "xml", 404, "json")
	wantError(t, "an unknown document", o.get(t, feedback.Open311Path+"/reports.json"), "json", 404, "json")
	wantError(t, "POST to services", o.call(t, http.MethodPost, feedback.Open311Path+"/services.json", "application/x-www-form-urlencoded",
		[]byte("api_key="+o.token)), "json", 404, "json")
}

// POST requests: an API key in the body, the query or the header, or a
// 403; the intake's checks, refusals in the specification's format naming
// the parameter; nothing stored by a refusal.
func TestOpen311Post(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		o := newO311(t, db)
		ctx := context.Background()
		before := o.counts(t)

		// Without a valid key: 403, whatever the rest says.
		wantError(t, "no key", o.postForm(t, "json", goodForm("")), "json", 403, "api_key")
		wantError(t, "no key", o.postForm(t, "xml", goodForm("")), "xml", 403, "api_key")
		wantError(t, "no key, a bad body", o.postForm(t, "json", url.Values{"foo": {"bar"}}), "json", 403, "api_key")
		bogus := "mts_" + strings.Repeat("x", 43)
		wantError(t, "an unknown key", o.postForm(t, "json", goodForm(bogus)), "json", 403, "api_key")
		wantError(t, "an unknown bearer token", o.postForm(t, "xml", goodForm(""), "Authorization", "Bearer "+bogus), "xml", 403, "api_key")
		revoked, revokedID := o.newToken(t)
		if _, err := o.auth.Store().RevokeToken(ctx, revokedID); err != nil {
			t.Fatal(err)
		}
		wantError(t, "a revoked key", o.postForm(t, "json", goodForm(revoked)), "json", 403, "api_key")
		if after := o.counts(t); !maps.Equal(before, after) {
			t.Fatalf("refused posts stored something: %v → %v", before, after)
		}

		// The key in the body.
		a := o.postForm(t, "json", goodForm(o.token))
		if a.status != http.StatusCreated {
			t.Fatalf("post: %d %s", a.status, a.body)
		}
		var created []object
		jsonAnswer(t, a, &created)
		if len(created) != 1 {
			t.Fatalf("answer %s", a.body)
		}
		wantKeys(t, "created request", created[0], specCreated...)
		id := str(t, created[0]["service_request_id"])
		if code, ok := feedback.ParseCode(id); !ok || feedback.FormatCode(code) != id {
			t.Errorf("service_request_id %q is not a tracking code", id)
		}
		if acc := str(t, created[0]["account_id"]); acc != "acc-77" {
			t.Errorf("account_id %q, want the one sent", acc)
		}
		notice := str(t, created[0]["service_notice"])
		if !strings.Contains(notice, "ngày làm việc") || !strings.Contains(notice, "Phường Sài Gòn") ||
			!strings.Contains(notice, o.now.AddDate(0, 0, 10).Format("02/01/2006")) {
			t.Errorf("service_notice %q does not say who answers by when", notice)
		}
		if loc := a.header.Get("Location"); loc != feedback.Open311Path+"/requests/"+id+".json" {
			t.Errorf("Location %q", loc)
		}
		it, err := o.store.ItemByCode(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if it.Content != rawContent || it.Topic != "giao_thong" || it.TopicSource != feedback.TopicCitizen || it.Commune != "26734" ||
			it.Village != "26734-001" || it.Address != "12 Lê Lợi" || it.Lat == nil || *it.Lat != 10.7769 || *it.Lon != 106.7009 ||
			it.Unit != "26734/MTTQ" || it.State != feedback.Received {
			t.Errorf("stored %+v", it)
		}
		if c, err := o.store.Contact(ctx, it.ID); err != nil || c != (feedback.Contact{Name: "Nguyễn Văn An", Phone: "0912345678", Email: "an.nguyen@example.vn"}) {
			t.Errorf("contact %+v, %v", c, err)
		}
		evs, err := o.store.Events(ctx, it.ID)
		if err != nil || len(evs) != 2 || evs[0].Action != "submit" || evs[1].Action != "open311" ||
			!strings.HasPrefix(evs[1].Actor, "ung.dung@mttq.vn (token ") {
			t.Errorf("history %+v, %v", evs, err)
		}

		// The key in the query, the answer in XML; no account_id sent.
		form := goodForm("")
		form.Del("account_id")
		a = o.call(t, http.MethodPost, feedback.Open311Path+"/requests.xml?api_key="+url.QueryEscape(o.token),
			"application/x-www-form-urlencoded", []byte(form.Encode()))
		if a.status != http.StatusCreated {
			t.Fatalf("post with api_key in the query: %d %s", a.status, a.body)
		}
		root := parseXML(t, a)
		if root.name != "service_requests" || len(root.kids) != 1 {
			t.Fatalf("answer <%s> with %d requests", root.name, len(root.kids))
		}
		wantElements(t, root.kids[0], "request", specCreated...)
		var xc struct {
			Requests []struct {
				ID        string `xml:"service_request_id"`
				Notice    string `xml:"service_notice"`
				AccountID string `xml:"account_id"`
			} `xml:"request"`
		}
		if err := xml.Unmarshal(a.body, &xc); err != nil {
			t.Fatal(err)
		}
		if len(xc.Requests) != 1 || xc.Requests[0].ID == id || xc.Requests[0].AccountID != "" || xc.Requests[0].Notice == "" {
			t.Errorf("XML answer %+v", xc)
		} else if _, err := o.store.ItemByCode(ctx, xc.Requests[0].ID); err != nil {
			t.Errorf("the XML answer's id: %v", err)
		}

		// The key as a bearer token; account_id null when not sent.
		a = o.postForm(t, "json", form, "Authorization", "Bearer "+o.token)
		if a.status != http.StatusCreated {
			t.Fatalf("post with a bearer token: %d %s", a.status, a.body)
		}
		jsonAnswer(t, a, &created)
		if string(created[0]["account_id"]) != "null" {
			t.Errorf("account_id %s, want null", created[0]["account_id"])
		}

		// An Idempotency-Key: a retry gets the same id and stores nothing.
		first := o.postForm(t, "json", goodForm(o.token), "Idempotency-Key", "open311-retry-1")
		mid := o.counts(t)
		again := o.postForm(t, "json", goodForm(o.token), "Idempotency-Key", "open311-retry-1")
		var r1, r2 []object
		jsonAnswer(t, first, &r1)
		jsonAnswer(t, again, &r2)
		if first.status != 201 || again.status != 201 || str(t, r1[0]["service_request_id"]) != str(t, r2[0]["service_request_id"]) {
			t.Errorf("retry: %d %s, %d %s", first.status, first.body, again.status, again.body)
		}
		if after := o.counts(t); !maps.Equal(mid, after) {
			t.Errorf("a retry stored something: %v → %v", mid, after)
		}
		other := goodForm(o.token)
		other.Set("description", "Một phản ánh khác hẳn.")
		wantError(t, "a key reused", o.postForm(t, "json", other, "Idempotency-Key", "open311-retry-1"), "json", 409, "Idempotency-Key")

		// Photos as multipart files named media; address_id as a village
		// code stands for the attributes.
		parts := []part{{name: "api_key", value: o.token}, {name: "service_code", value: "moi_truong"},
			{name: "description", value: "Rác thải đổ bừa bãi cạnh chợ."}, {name: "address_id", value: "26734-001"},
			{name: "media", file: "a.jpg", data: jpegWithGPS(t)}}
		ct, body := multipartBody(t, parts)
		a = o.call(t, http.MethodPost, feedback.Open311Path+"/requests.json", ct, body)
		if a.status != http.StatusCreated {
			t.Fatalf("multipart post: %d %s", a.status, a.body)
		}
		jsonAnswer(t, a, &created)
		it, err = o.store.ItemByCode(ctx, str(t, created[0]["service_request_id"]))
		if err != nil {
			t.Fatal(err)
		}
		if ps, err := o.store.Photos(ctx, it.ID); err != nil || len(ps) != 1 || ps[0].Public {
			t.Errorf("photos %+v, %v", ps, err)
		}
		if it.Commune != "26734" || it.Village != "26734-001" || it.Topic != "moi_truong" {
			t.Errorf("address_id 26734-001 stored as %s / %s", it.Commune, it.Village)
		}

		// Refusals name the parameter the client sent.
		before = o.counts(t)
		with := func(change func(v url.Values)) url.Values {
			v := goodForm(o.token)
			change(v)
			return v
		}
		for _, c := range []struct {
			what   string
			form   url.Values
			status int
			field  string
		}{
			{"no service_code", with(func(v url.Values) { v.Del("service_code") }), 400, "service_code"},
			{"an unknown service_code", with(func(v url.Values) { v.Set("service_code", "khong_co") }), 404, "service_code"},
			{"no description", with(func(v url.Values) { v.Del("description") }), 400, "description"},
			{"a description too long", with(func(v url.Values) { v.Set("description", strings.Repeat("ạ", feedback.MaxContent+1)) }), 400, "description"},
			{"no commune", with(func(v url.Values) { v.Del("attribute[commune_code]"); v.Del("attribute[village_code]") }), 400, "attribute[commune_code]"},
			{"an unknown commune", with(func(v url.Values) { v.Set("attribute[commune_code]", "99999"); v.Del("attribute[village_code]") }), 400, "attribute[commune_code]"},
			{"a village of another commune", with(func(v url.Values) { v.Set("attribute[commune_code]", "26743") }), 400, "attribute[village_code]"},
			{"a bad level", with(func(v url.Values) { v.Set("attribute[level]", "huyen") }), 400, "attribute[level]"},
			{"an unknown attribute", with(func(v url.Values) { v.Set("attribute[color]", "do") }), 400, "attribute[color]"},
			{"an unknown parameter", with(func(v url.Values) { v.Set("ho_ten", "x") }), 400, "ho_ten"},
			{"a parameter twice", with(func(v url.Values) { v.Add("description", "x") }), 400, "description"},
			{"media_url", with(func(v url.Values) { v.Set("media_url", "http://example.com/a.jpg") }), 400, "media_url"},
			{"address_id of another commune", with(func(v url.Values) { v.Set("address_id", "26743") }), 400, "address_id"},
			{"address_id no territory", with(func(v url.Values) { v.Set("address_id", "12 Lê Lợi") }), 400, "address_id"},
			{"address_id a commune unknown", with(func(v url.Values) {
				v.Del("attribute[commune_code]")
				v.Del("attribute[village_code]")
				v.Set("address_id", "99999")
			}), 400, "address_id"},
			{"lat without long", with(func(v url.Values) { v.Del("long") }), 400, "long"},
			{"lat not a number", with(func(v url.Values) { v.Set("lat", "mười") }), 400, "lat"},
			{"lat out of range", with(func(v url.Values) { v.Set("lat", "91") }), 400, "lat"},
			{"a bad phone", with(func(v url.Values) { v.Set("phone", "gọi tôi") }), 400, "phone"},
			{"a bad email", with(func(v url.Values) { v.Set("email", "an@") }), 400, "email"},
			{"an account_id too long", with(func(v url.Values) { v.Set("account_id", strings.Repeat("a", 201)) }), 400, "account_id"},
		} {
			wantError(t, c.what, o.postForm(t, "json", c.form), "json", c.status, c.field)
		}
		wantError(t, "no service_code, in XML", o.postForm(t, "xml", with(func(v url.Values) { v.Del("service_code") })), "xml", 400, "service_code")
		wantError(t, "a JSON body", o.call(t, http.MethodPost, feedback.Open311Path+"/requests.json", "application/json",
			[]byte(`{"service_code":"giao_thong"}`), "Authorization", "Bearer "+o.token), "json", 400, "Content-Type")
		ct, body = multipartBody(t, []part{{name: "api_key", value: o.token}, {name: "service_code", value: "moi_truong"},
			{name: "description", value: "x"}, {name: "attribute[commune_code]", value: "26734"},
			{name: "media", file: "x.jpg", data: []byte("#!/bin/sh\nrm -rf /\n")}})
		wantError(t, "a script as a photo", o.call(t, http.MethodPost, feedback.Open311Path+"/requests.json", ct, body), "json", 415, "media")
		ct, body = multipartBody(t, []part{{name: "api_key", value: o.token}, {name: "service_code", value: "moi_truong"},
			{name: "description", value: "x"}, {name: "attribute[commune_code]", value: "26734"},
			{name: "photos", file: "x.jpg", data: jpegWithGPS(t)}})
		wantError(t, "a file not named media", o.call(t, http.MethodPost, feedback.Open311Path+"/requests.json", ct, body), "json", 400, "photos")
		if after := o.counts(t); !maps.Equal(before, after) {
			t.Errorf("refused posts stored something: %v → %v", before, after)
		}

		// api_key counts on the Open311 API only; a bearer token anywhere.
		var who map[string]string
		jsonAnswer(t, o.get(t, "/api/v1/probe?api_key="+url.QueryEscape(o.token)), &who)
		if who["who"] != "" {
			t.Errorf("api_key outside /open311/ identified %q", who["who"])
		}
		jsonAnswer(t, o.call(t, http.MethodGet, "/api/v1/probe", "", nil, "Authorization", "Bearer "+o.token), &who)
		if who["who"] != "ung.dung@mttq.vn" {
			t.Errorf("the bearer token identified %q", who["who"])
		}
	})
}

// seed stores an item through the intake daysAgo days before the env's
// clock, with the submitter's details in its contact and its text.
func (o *o311Env) seed(t *testing.T, topic string, daysAgo int, photos int) feedback.Item {
	t.Helper()
	now := o.now
	o.now = now.AddDate(0, 0, -daysAgo)
	defer func() { o.now = now }()
	lat, lon := 10.7769, 106.7009
	sub := feedback.Submission{Content: rawContent, CommuneCode: "26734", Topic: topic, Address: "12 Lê Lợi", Lat: &lat, Lon: &lon,
		Name: "Trần Thị Bình", Phone: "0987.654.321", Email: "binh.tran@example.vn"}
	for range photos {
		sub.Photos = append(sub.Photos, jpegWithGPS(t))
	}
	c, err := o.svc.Submit(context.Background(), sub)
	if err != nil {
		t.Fatal(err)
	}
	it, err := o.store.Item(context.Background(), c.ItemID)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// handle moves an item through states, changing it as fn says on the way.
func (o *o311Env) handle(t *testing.T, id int64, fn func(it *feedback.Item), states ...feedback.State) feedback.Item {
	t.Helper()
	var it feedback.Item
	for i, st := range states {
		var err error
		it, err = o.store.Update(context.Background(), id, feedback.Change{Actor: "can.bo@mttq.vn", Action: "move"},
			func(_ context.Context, _ feedback.Querier, it *feedback.Item) error {
				it.State = st
				if i == len(states)-1 && fn != nil {
					fn(it)
				}
				return nil
			})
		if err != nil {
			t.Fatalf("item %d to %s: %v", id, st, err)
		}
	}
	if len(states) == 0 {
		var err error
		it, err = o.store.Update(context.Background(), id, feedback.Change{Actor: "can.bo@mttq.vn", Action: "publish"},
			func(_ context.Context, _ feedback.Querier, it *feedback.Item) error { fn(it); return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	return it
}

func publish(it *feedback.Item) {
	text := publicText
	it.PublicText, it.Published = &text, true
}

// GET requests, requests/{id} and tokens/{token} in both formats: the
// specification's fields and types, the filters, the 90-day limit, the
// errors — and never the submitter's details or the text as sent.
func TestOpen311Get(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		o := newO311(t, db)
		ctx := context.Background()

		// A: answered and closed, published with a photo made public.
		a := o.seed(t, "giao_thong", 5, 1)
		a = o.handle(t, a.ID, nil, feedback.Accepted, feedback.InProgress)
		a = o.handle(t, a.ID, func(it *feedback.Item) { it.Answer = "Phường đã nạo vét cống thoát nước." }, feedback.Answered)
		a = o.handle(t, a.ID, func(it *feedback.Item) { it.Outcome = feedback.PartlyResolved }, feedback.Closed)
		a = o.handle(t, a.ID, publish)
		if _, err := o.db.ExecContext(ctx, `UPDATE feedback_photos SET public = $1 WHERE item_id = $2`, true, a.ID); err != nil {
			t.Fatal(err)
		}
		// B: in progress, published, its photos private.
		b := o.seed(t, "moi_truong", 10, 2)
		b = o.handle(t, b.ID, publish, feedback.Accepted, feedback.InProgress)
		// C: received, not published, a photo made public by mistake.
		c := o.seed(t, "giao_thong", 20, 1)
		if _, err := o.db.ExecContext(ctx, `UPDATE feedback_photos SET public = $1 WHERE item_id = $2`, true, c.ID); err != nil {
			t.Fatal(err)
		}
		// D: closed long ago, published.
		d := o.seed(t, "dat_dai", 100, 0)
		d = o.handle(t, d.ID, func(it *feedback.Item) { it.Reason = "Không thuộc thẩm quyền." }, feedback.Rejected)
		d = o.handle(t, d.ID, publish)
		// E: sent through Open311 now, published.
		form := goodForm(o.token)
		form.Set("service_code", "y_te")
		pa := o.postForm(t, "json", form)
		var created []object
		jsonAnswer(t, pa, &created)
		e, err := o.store.ItemByCode(ctx, str(t, created[0]["service_request_id"]))
		if err != nil {
			t.Fatal(err)
		}
		e = o.handle(t, e.ID, publish)
		code := func(it feedback.Item) string { return feedback.FormatCode(it.Code) }

		var bodies [][]byte
		// list GETs target in JSON and in XML, checks both against the
		// specification and each other, and returns the ids in order.
		list := func(target string) []string {
			t.Helper()
			path, query, _ := strings.Cut(target, "?")
			if query != "" {
				query = "?" + query
			}
			ja := o.get(t, path+".json"+query)
			if ja.status != http.StatusOK {
				t.Fatalf("%s.json: %d %s", path, ja.status, ja.body)
			}
			bodies = append(bodies, ja.body)
			var reqs []object
			jsonAnswer(t, ja, &reqs)
			var ids []string
			for _, q := range reqs {
				wantKeys(t, "request", q, specRequest...)
				for k, kinds := range requestKinds {
					if !slices.Contains(kinds, kind(q[k])) {
						t.Errorf("%s: %s is %s, want %v", target, k, q[k], kinds)
					}
				}
				st := str(t, q["status"])
				if st != "open" && st != "closed" {
					t.Errorf("status %q", st)
				}
				for _, k := range []string{"requested_datetime", "updated_datetime", "expected_datetime"} {
					wantW3C(t, k, str(t, q[k]))
				}
				for _, k := range []string{"lat", "long", "zipcode"} {
					if string(q[k]) != "null" {
						t.Errorf("%s is %s: no position or postcode of the submitter's is shown", k, q[k])
					}
				}
				ids = append(ids, str(t, q["service_request_id"]))
			}
			xa := o.get(t, path+".xml"+query)
			if xa.status != http.StatusOK {
				t.Fatalf("%s.xml: %d %s", path, xa.status, xa.body)
			}
			bodies = append(bodies, xa.body)
			root := parseXML(t, xa)
			if root.name != "service_requests" {
				t.Errorf("root <%s>", root.name)
			}
			wantAll(t, root, "request")
			for _, r := range root.kids {
				wantElements(t, r, "request", specRequest...)
			}
			var xr struct {
				Requests []struct {
					ID          string `xml:"service_request_id"`
					Status      string `xml:"status"`
					Description string `xml:"description"`
					Requested   string `xml:"requested_datetime"`
					Lat         string `xml:"lat"`
				} `xml:"request"`
			}
			if err := xml.Unmarshal(xa.body, &xr); err != nil {
				t.Fatal(err)
			}
			if len(xr.Requests) != len(reqs) {
				t.Fatalf("%s: %d requests in XML, %d in JSON", target, len(xr.Requests), len(reqs))
			}
			for i, q := range xr.Requests {
				var desc string
				if string(reqs[i]["description"]) != "null" {
					desc = str(t, reqs[i]["description"])
				}
				if q.ID != ids[i] || q.Status != str(t, reqs[i]["status"]) || q.Description != desc ||
					q.Requested != str(t, reqs[i]["requested_datetime"]) || q.Lat != "" {
					t.Errorf("%s: XML request %d %+v differs from the JSON %s", target, i, q, show(reqs[i]))
				}
			}
			return ids
		}
		want := func(target string, items ...feedback.Item) {
			t.Helper()
			var w []string
			for _, it := range items {
				w = append(w, code(it))
			}
			if got := list(target); !slices.Equal(got, w) {
				t.Errorf("%s: %v, want %v", target, got, w)
			}
		}
		reqs := feedback.Open311Path + "/requests"

		// By default the last 90 days' published items, newest first.
		want(reqs, e, a, b)
		want(reqs+"?jurisdiction_id=vn", e, a, b)
		want(reqs+"?service_code=giao_thong", a)
		want(reqs+"?service_code=giao_thong,moi_truong", a, b)
		want(reqs+"?service_code=giao_thong&service_code=moi_truong", a, b)
		want(reqs+"?status=open", e, b)
		want(reqs+"?status=closed", a)
		want(reqs+"?status=open,closed&service_code=moi_truong,y_te", e, b)
		day := func(n int) time.Time { return o.now.AddDate(0, 0, -n) }
		want(reqs+"?start_date="+url.QueryEscape(day(12).Format(time.RFC3339))+"&end_date="+url.QueryEscape(day(3).UTC().Format(time.RFC3339)), a, b)
		want(reqs+"?start_date="+url.QueryEscape(day(120).Format(time.RFC3339))+"&end_date="+url.QueryEscape(day(95).Format(time.RFC3339)), d)
		want(reqs+"?start_date="+url.QueryEscape(day(120).Format(time.RFC3339)), d)
		want(reqs+"?end_date="+url.QueryEscape(day(7).Format(time.RFC3339)), b)
		want(reqs+"?start_date="+day(10).Format("2006-01-02")+"&end_date="+day(5).Format("2006-01-02"), a, b)
		want(reqs+"?start_date="+url.QueryEscape(day(90).Format(time.RFC3339))+"&end_date="+url.QueryEscape(o.now.Format(time.RFC3339)), e, a, b)
		// The ids override every other argument, and name unpublished
		// items too: whoever holds a tracking code sees its status.
		want(reqs+"?service_request_id="+code(c)+"&status=closed", c)
		want(reqs+"?service_request_id="+strings.ToLower(c.Code)+","+code(a), a, c)
		want(reqs + "?service_request_id=ZZZZZ-ZZZZZ")

		for _, c := range []struct {
			what, query, field string
		}{
			{"91 days", "start_date=" + url.QueryEscape(day(91).Format(time.RFC3339)) + "&end_date=" + url.QueryEscape(o.now.Format(time.RFC3339)), "start_date, end_date"},
			{"the end before the start", "start_date=" + url.QueryEscape(day(3).Format(time.RFC3339)) + "&end_date=" + url.QueryEscape(day(5).Format(time.RFC3339)), "end_date"},
			{"a date without its zone", "start_date=2026-03-01T00:00:00", "start_date"},
			{"no date", "end_date=" + url.QueryEscape("hôm qua"), "end_date"},
			{"a bad status", "status=pending", "status"},
			{"an unknown service", "service_code=giao_thong,khong_co", "service_code"},
			{"a bad id", "service_request_id=" + code(a) + ",12345", "service_request_id"},
			{"too many ids", "service_request_id=" + strings.Repeat(code(a)+",", 101), "service_request_id"},
		} {
			for _, f := range []string{"json", "xml"} {
				wantError(t, c.what, o.get(t, reqs+"."+f+"?"+c.query), f, 400, c.field)
			}
		}

		// Each request says what the public may know of it.
		one := func(it feedback.Item) object {
			t.Helper()
			r := o.get(t, reqs+"/"+code(it)+".json")
			if r.status != 200 {
				t.Fatalf("requests/%s: %d %s", code(it), r.status, r.body)
			}
			bodies = append(bodies, r.body)
			var out []object
			jsonAnswer(t, r, &out)
			if len(out) != 1 {
				t.Fatalf("requests/%s: %s", code(it), r.body)
			}
			wantKeys(t, "request", out[0], specRequest...)
			x := o.get(t, reqs+"/"+strings.ToLower(it.Code)+".xml")
			bodies = append(bodies, x.body)
			root := parseXML(t, x)
			if len(root.kids) != 1 {
				t.Fatalf("requests/%s.xml: %s", code(it), x.body)
			}
			wantElements(t, root.kids[0], "request", specRequest...)
			if got := root.kids[0].kid("service_request_id").text; got != code(it) {
				t.Errorf("requests/%s.xml answers %s", it.Code, got)
			}
			return out[0]
		}
		ra := one(a)
		if str(t, ra["status"]) != "closed" || str(t, ra["description"]) != publicText || str(t, ra["service_code"]) != "giao_thong" ||
			str(t, ra["service_name"]) != "Giao thông" || str(t, ra["address"]) != "Phường Sài Gòn, Thành phố Hồ Chí Minh" ||
			str(t, ra["address_id"]) != "26734" || !strings.Contains(str(t, ra["agency_responsible"]), "Phường Sài Gòn") ||
			str(t, ra["status_notes"]) != "Đã kết thúc – Giải quyết một phần: Phường đã nạo vét cống thoát nước." {
			t.Errorf("A: %s", show(ra))
		}
		if got := wantW3C(t, "requested", str(t, ra["requested_datetime"])); !got.Equal(a.CreatedAt) {
			t.Errorf("requested_datetime %s, want %s", got, a.CreatedAt)
		}
		if got := wantW3C(t, "expected", str(t, ra["expected_datetime"])); !got.Equal(a.DueAt) {
			t.Errorf("expected_datetime %s, want %s", got, a.DueAt)
		}
		if got := wantW3C(t, "updated", str(t, ra["updated_datetime"])); a.ClosedAt == nil || !got.Equal(*a.ClosedAt) {
			t.Errorf("updated_datetime %s of a closed request, want when it closed %v", got, a.ClosedAt)
		}
		media := str(t, ra["media_url"])
		if !strings.HasPrefix(media, o311Public+feedback.Open311Path+"/media/"+code(a)+"/") {
			t.Errorf("media_url %q", media)
		}
		rb := one(b)
		if str(t, rb["status"]) != "open" || str(t, rb["status_notes"]) != "Đang giải quyết" || string(rb["media_url"]) != "null" {
			t.Errorf("B: %s", show(rb))
		}
		rc := one(c)
		if str(t, rc["status"]) != "open" || string(rc["description"]) != "null" || string(rc["media_url"]) != "null" ||
			str(t, rc["status_notes"]) != "Đã tiếp nhận" {
			t.Errorf("C, not published: %s", show(rc))
		}
		rd := one(d)
		if str(t, rd["status"]) != "closed" || str(t, rd["status_notes"]) != "Không thụ lý" {
			t.Errorf("D, rejected: %s (the reason is the officers')", show(rd))
		}
		one(e)
		wantError(t, "an unknown request", o.get(t, reqs+"/ZZZZZ-ZZZZZ.json"), "json", 404, "service_request_id")
		wantError(t, "an unknown request", o.get(t, reqs+"/khong-co.xml"), "xml", 404, "service_request_id")

		// The published photo, and no other.
		m := o.get(t, strings.TrimPrefix(media, o311Public))
		ps, err := o.store.Photos(ctx, a.ID)
		if err != nil || len(ps) != 1 {
			t.Fatal(ps, err)
		}
		blob, err := o.store.Blobs().Get(ctx, ps[0].BlobKey)
		if err != nil {
			t.Fatal(err)
		}
		if m.status != 200 || m.header.Get("Content-Type") != ps[0].ContentType || !bytes.Equal(m.body, blob) {
			t.Errorf("media: %d %s, %d bytes", m.status, m.header.Get("Content-Type"), len(m.body))
		}
		for _, target := range []string{"/media/" + code(b) + "/1", "/media/" + code(c) + "/1", "/media/" + code(a) + "/2",
			"/media/" + code(a) + "/x", "/media/ZZZZZ-ZZZZZ/1"} {
			if r := o.get(t, feedback.Open311Path+target); r.status != 404 {
				t.Errorf("%s: %d, want 404", target, r.status)
			}
		}

		// A token is a tracking code, in any spelling.
		tk := o.get(t, feedback.Open311Path+"/tokens/"+strings.ToLower(a.Code)+".json")
		bodies = append(bodies, tk.body)
		var toks []object
		jsonAnswer(t, tk, &toks)
		if len(toks) != 1 {
			t.Fatalf("token: %s", tk.body)
		}
		wantKeys(t, "token", toks[0], specToken...)
		if str(t, toks[0]["service_request_id"]) != code(a) || str(t, toks[0]["token"]) != strings.ToLower(a.Code) {
			t.Errorf("token: %s", show(toks[0]))
		}
		tx := o.get(t, feedback.Open311Path+"/tokens/"+code(b)+".xml")
		root := parseXML(t, tx)
		if root.name != "service_requests" || len(root.kids) != 1 {
			t.Fatalf("tokens XML %s", tx.body)
		}
		wantElements(t, root.kids[0], "request", specToken...)
		if root.kids[0].kid("service_request_id").text != code(b) {
			t.Errorf("tokens XML %s", tx.body)
		}
		wantError(t, "an unknown token", o.get(t, feedback.Open311Path+"/tokens/ZZZZZ-ZZZZZ.json"), "json", 404, "token")
		wantError(t, "an unknown token", o.get(t, feedback.Open311Path+"/tokens/12.xml"), "xml", 404, "token")

		// Nothing a submitter gave reaches a GET: not their name, phone,
		// email, address, position, account or device, nor the text as
		// sent.
		for _, body := range bodies {
			for _, leak := range leaks {
				if bytes.Contains(body, []byte(leak)) {
					t.Errorf("a GET answer carries %q: %.300s", leak, body)
				}
			}
			for _, field := range []string{"email", "first_name", "last_name", "phone", "device_id", "account_id", "address_string"} {
				if bytes.Contains(body, []byte(`"`+field+`"`)) || bytes.Contains(body, []byte("<"+field+">")) {
					t.Errorf("a GET answer has the field %s", field)
				}
			}
		}
		if len(bodies) < 40 {
			t.Errorf("only %d answers were checked", len(bodies))
		}
	})
}
