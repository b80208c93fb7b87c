package feedback

import (
	"bytes"
	"encoding/xml"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/mattranso/mattranso/api"
)

// The documents of Open311 GeoReport v2, as its specification names their
// elements. The XML is schemaless and without a namespace; the JSON is the
// same tree by the Spark convention (a list element becomes an array, a
// record an object), so one type serves both where the two agree. Where
// they do not — a value the JSON gives as null, which XML can only give
// as an empty element — there is a type for each.

// o311Discovery is discovery.{json,xml}.
type o311Discovery struct {
	XMLName    xml.Name       `xml:"discovery" json:"-"`
	Changeset  string         `xml:"changeset" json:"changeset"`
	Contact    string         `xml:"contact" json:"contact"`
	KeyService string         `xml:"key_service" json:"key_service"`
	Endpoints  []o311Endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type o311Endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

// o311Services is services.xml; services.json is the bare array.
type o311Services struct {
	XMLName  xml.Name      `xml:"services"`
	Services []o311Service `xml:"service"`
}

type o311Service struct {
	Code        string `xml:"service_code" json:"service_code"`
	Name        string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

// o311Definition is services/{code}.{json,xml}.
type o311Definition struct {
	XMLName    xml.Name        `xml:"service_definition" json:"-"`
	Code       string          `xml:"service_code" json:"service_code"`
	Attributes []o311Attribute `xml:"attributes>attribute" json:"attributes"`
}

type o311Attribute struct {
	Variable            bool   `xml:"variable" json:"variable"`
	Code                string `xml:"code" json:"code"`
	Datatype            string `xml:"datatype" json:"datatype"`
	Required            bool   `xml:"required" json:"required"`
	DatatypeDescription string `xml:"datatype_description" json:"datatype_description"`
	Order               int    `xml:"order" json:"order"`
	Description         string `xml:"description" json:"description"`
	// Values are the choices of a singlevaluelist or multivaluelist; other
	// datatypes have none: an empty <values> and [], alike in both formats.
	Values []o311Value `xml:"values>value" json:"values"`
}

type o311Value struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// o311Request is one request of GET requests.json and requests/{id}.json.
// Every field of the specification is there, null when there is nothing
// to tell or nothing that may be told: lat, long and zipcode always (see
// RegisterOpen311), description until the item is published.
type o311Request struct {
	ID                string   `json:"service_request_id"`
	Status            string   `json:"status"`
	StatusNotes       *string  `json:"status_notes"`
	ServiceName       *string  `json:"service_name"`
	ServiceCode       *string  `json:"service_code"`
	Description       *string  `json:"description"`
	AgencyResponsible *string  `json:"agency_responsible"`
	ServiceNotice     *string  `json:"service_notice"`
	Requested         string   `json:"requested_datetime"`
	Updated           string   `json:"updated_datetime"`
	Expected          *string  `json:"expected_datetime"`
	Address           *string  `json:"address"`
	AddressID         *string  `json:"address_id"`
	Zipcode           *string  `json:"zipcode"`
	Lat               *float64 `json:"lat"`
	Long              *float64 `json:"long"`
	MediaURL          *string  `json:"media_url"`
}

// o311RequestsXML is requests.xml and requests/{id}.xml: the same fields,
// an empty element where the JSON has null.
type o311RequestsXML struct {
	XMLName  xml.Name         `xml:"service_requests"`
	Requests []o311RequestXML `xml:"request"`
}

type o311RequestXML struct {
	ID                string `xml:"service_request_id"`
	Status            string `xml:"status"`
	StatusNotes       string `xml:"status_notes"`
	ServiceName       string `xml:"service_name"`
	ServiceCode       string `xml:"service_code"`
	Description       string `xml:"description"`
	AgencyResponsible string `xml:"agency_responsible"`
	ServiceNotice     string `xml:"service_notice"`
	Requested         string `xml:"requested_datetime"`
	Updated           string `xml:"updated_datetime"`
	Expected          string `xml:"expected_datetime"`
	Address           string `xml:"address"`
	AddressID         string `xml:"address_id"`
	Zipcode           string `xml:"zipcode"`
	Lat               string `xml:"lat"`
	Long              string `xml:"long"`
	MediaURL          string `xml:"media_url"`
}

func (q o311Request) xml() o311RequestXML {
	s := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'f', -1, 64)
	}
	return o311RequestXML{ID: q.ID, Status: q.Status, StatusNotes: s(q.StatusNotes), ServiceName: s(q.ServiceName),
		ServiceCode: s(q.ServiceCode), Description: s(q.Description), AgencyResponsible: s(q.AgencyResponsible),
		ServiceNotice: s(q.ServiceNotice), Requested: q.Requested, Updated: q.Updated, Expected: s(q.Expected),
		Address: s(q.Address), AddressID: s(q.AddressID), Zipcode: s(q.Zipcode), Lat: f(q.Lat), Long: f(q.Long),
		MediaURL: s(q.MediaURL)}
}

// o311Created is the answer to POST requests.json: the item's id at once
// (services are "realtime"), so never a token.
type o311Created struct {
	ID            string  `json:"service_request_id"`
	ServiceNotice string  `json:"service_notice"`
	AccountID     *string `json:"account_id"`
}

type o311CreatedXML struct {
	XMLName  xml.Name            `xml:"service_requests"`
	Requests []o311CreatedXMLReq `xml:"request"`
}

type o311CreatedXMLReq struct {
	ID            string `xml:"service_request_id"`
	ServiceNotice string `xml:"service_notice"`
	AccountID     string `xml:"account_id"`
}

// o311Token is the answer to tokens/{token}.{json,xml}.
type o311Token struct {
	ID    string `xml:"service_request_id" json:"service_request_id"`
	Token string `xml:"token" json:"token"`
}

type o311TokensXML struct {
	XMLName  xml.Name    `xml:"service_requests"`
	Requests []o311Token `xml:"request"`
}

// o311Error is one error of the specification's error document:
// [{"code":403,"description":"…"}] or <errors><error>…</error></errors>.
// code is the HTTP status.
type o311Error struct {
	Code        int    `xml:"code" json:"code"`
	Description string `xml:"description" json:"description"`
}

type o311ErrorsXML struct {
	XMLName xml.Name    `xml:"errors"`
	Errors  []o311Error `xml:"error"`
}

// xmlHeader precedes every XML answer, as the specification requires.
const xmlHeader = `<?xml version="1.0" encoding="utf-8"?>` + "\n"

// writeXML answers v as the specification's XML: text/xml in UTF-8 with
// the declaration, not cached unless the handler said otherwise (as
// api.WriteJSON does for the JSON).
func writeXML(w http.ResponseWriter, log *slog.Logger, status int, v any) {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	if err := xml.NewEncoder(&b).Encode(v); err != nil {
		log.Error("feedback: open311: encode XML answer", "err", err)
		status = http.StatusInternalServerError
		b.Reset()
		b.WriteString(xmlHeader)
		_ = xml.NewEncoder(&b).Encode(o311ErrorsXML{Errors: []o311Error{{Code: status, Description: api.Internal}}})
	}
	h := w.Header()
	h.Set("Content-Type", "text/xml; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
