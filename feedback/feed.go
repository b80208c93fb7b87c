package feedback

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mattranso/mattranso/api"
)

// The Atom feed of published answers (RFC 4287): /phan-anh/feed.atom, the
// latest FeedItems, with the public list's filters (province, commune,
// topic). An entry is what the public item page shows — the public text
// and answer, the place down to the commune, the topic — and is updated
// when the answer is.

// FeedItems is how many entries the feed holds.
const FeedItems = 30

type atomFeed struct {
	XMLName  xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang     string      `xml:"xml:lang,attr"`
	Title    string      `xml:"title"`
	Subtitle string      `xml:"subtitle"`
	ID       string      `xml:"id"`
	Updated  string      `xml:"updated"`
	Links    []atomLink  `xml:"link"`
	Author   atomPerson  `xml:"author"`
	Entries  []atomEntry `xml:"entry"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr,omitempty"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

type atomCategory struct {
	Term  string `xml:"term,attr"`
	Label string `xml:"label,attr,omitempty"`
}

type atomEntry struct {
	Title     string        `xml:"title"`
	ID        string        `xml:"id"`
	Updated   string        `xml:"updated"`
	Published string        `xml:"published"`
	Links     []atomLink    `xml:"link"`
	Author    atomPerson    `xml:"author"`
	Category  *atomCategory `xml:"category,omitempty"`
	Summary   atomText      `xml:"summary"`
	Content   atomText      `xml:"content"`
}

// baseURL is the site's address: the configured one, else the request's
// host.
func (p *Public) baseURL(r *http.Request) string {
	if p.base != "" {
		return p.base
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (p *Public) feed(w http.ResponseWriter, r *http.Request) {
	q, err := p.s.CheckPublicQuery(r.Context(), r.URL.Query())
	var e *api.Error
	if errors.As(err, &e) {
		http.Error(w, e.Message, e.Status)
		return
	}
	if err != nil {
		p.pageError(w, r, err)
		return
	}
	if q.Q != "" || !q.Before.IsZero() || q.Limit != 0 {
		http.Error(w, "Nguồn tin chỉ nhận các bộ lọc province, commune, topic (the feed takes the filters province, commune and topic only).",
			http.StatusBadRequest)
		return
	}
	q.Limit = FeedItems
	page, err := p.s.PublicList(r.Context(), q)
	if err != nil {
		p.pageError(w, r, err)
		return
	}
	base := p.baseURL(r)
	self := base + "/phan-anh/feed.atom"
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.Query().Encode()
	}
	f := atomFeed{Lang: "vi", Title: "Phản ánh, kiến nghị đã được trả lời", ID: self,
		Subtitle: "Trả lời của Ủy ban Mặt trận Tổ quốc các cấp cho phản ánh, kiến nghị của người dân, đã ẩn thông tin cá nhân.",
		Links: []atomLink{{Rel: "self", Type: "application/atom+xml", Href: self},
			{Rel: "alternate", Type: "text/html", Href: base + listURL(q)}},
		Author: atomPerson{Name: "Mặt trận số"}}
	var newest time.Time
	for _, it := range page.Items {
		u := base + it.URL
		entry := atomEntry{Title: entryTitle(&it), ID: u, Updated: it.AnsweredAt.Format(time.RFC3339),
			Published: it.AnsweredAt.Format(time.RFC3339), Links: []atomLink{{Rel: "alternate", Type: "text/html", Href: u}},
			Author:  atomPerson{Name: orDefault(it.UnitName, it.Unit)},
			Summary: atomText{Type: "text", Body: it.Gist},
			Content: atomText{Type: "text", Body: "Phản ánh (" + it.SubmittedOn + "): " + it.Text + "\n\nTrả lời của " +
				orDefault(it.UnitName, it.Unit) + ": " + it.Answer}}
		if it.Topic != "" {
			entry.Category = &atomCategory{Term: it.Topic, Label: it.TopicName}
		}
		if it.AnsweredAt.After(newest) {
			newest = it.AnsweredAt
		}
		f.Entries = append(f.Entries, entry)
	}
	if newest.IsZero() {
		newest = p.s.now().In(Vietnam)
	}
	f.Updated = newest.Format(time.RFC3339)
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		p.pageError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write([]byte(xml.Header))
		w.Write(out)
	}
}

// entryTitle is an entry's title: the topic and the place.
func entryTitle(it *PublicItem) string {
	t := orDefault(it.TopicName, "Phản ánh, kiến nghị")
	return t + " — " + it.CommuneName + ", " + it.ProvinceName
}

func orDefault(s, d string) string {
	if strings.TrimSpace(s) == "" {
		return d
	}
	return s
}

// listURL is the public list with q's filters.
func listURL(q PublicQuery) string {
	v := url.Values{}
	for k, s := range map[string]string{"province": q.Province, "commune": q.Commune, "topic": q.Topic} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if len(v) == 0 {
		return "/phan-anh"
	}
	return "/phan-anh?" + v.Encode()
}
