package ingest

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/PuerkitoBio/goquery"

	"github.com/mattranso/mattranso/corpus"
)

// ParseTVPL reads a document page of thuvienphapluat.vn: the Vietnamese
// text in #divContentDoc .content1 (the English translation some pages
// carry beside it is left out), the properties table above it (số hiệu,
// loại văn bản, nơi ban hành, dates — the values the site hides from
// visitors, "Đã biết", are skipped) and the letterhead at the top of the
// text. The canonical link is recorded as SourceURL when pageURL is empty
// or on the same host.
func ParseTVPL(page []byte, pageURL string) (*corpus.Document, error) {
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("tvpl: reading page %s: %w", pageURL, err)
	}
	content := doc.Find("#divContentDoc .content1").First()
	if content.Length() == 0 {
		content = doc.Find(".cldivContentDocVn .content1, .content1").First()
	}
	if content.Length() == 0 {
		return nil, fmt.Errorf("tvpl: %s: no document text (#divContentDoc / .content1) in page", htmlURLOrUnknown(pageURL))
	}
	content = content.Clone()

	var meta htmlMeta
	tvplPropertiesMeta(doc, &meta)

	// The letterhead is a table at the top of the text: read it for the
	// metadata and keep it out of the law's preamble.
	content.Find("table").EachWithBreak(func(_ int, t *goquery.Selection) bool {
		lines := htmlLines(t)
		if tvplIsLetterhead(lines) {
			meta.fillFromLetterhead(lines)
			t.Remove()
			return false
		}
		return true
	})

	lines := htmlLines(content)
	if len(lines) == 0 {
		return nil, fmt.Errorf("tvpl: %s: the document text is empty", htmlURLOrUnknown(pageURL))
	}
	meta.fillFromText(lines)
	if !htmlNamedTypes[meta.Type] && meta.Type != "Hiến pháp" {
		// For decisions and the like the text's title is in capitals and
		// its place names cannot be told apart; the site's own title is
		// written properly.
		if t := tvplPageTitle(doc); t != "" {
			meta.Title = t
		}
	}
	if meta.Title == "" && meta.textTitle == "" {
		meta.Title = tvplPageTitle(doc)
	}

	nodes, err := htmlLawNodes(lines)
	if err != nil {
		return nil, fmt.Errorf("tvpl: %s: %w", htmlURLOrUnknown(pageURL), err)
	}
	return meta.document(nodes, htmlSourceURL(pageURL, htmlCanonical(doc))), nil
}

// tvplPropertiesMeta reads the table in #divThuocTinh, where each label
// cell ("Số hiệu:") is followed by its value.
func tvplPropertiesMeta(doc *goquery.Document, m *htmlMeta) {
	doc.Find("#divThuocTinh table tr").Each(func(_ int, tr *goquery.Selection) {
		cells := tr.ChildrenFiltered("td, th")
		cells.Each(func(i int, td *goquery.Selection) {
			if i+1 >= cells.Length() {
				return
			}
			label := strings.TrimSuffix(corpus.Fold(htmlText(td)), ":")
			value := htmlText(cells.Eq(i + 1))
			switch label {
			case "so hieu":
				m.setNumber(value)
			case "loai van ban":
				m.setType(value)
			case "noi ban hanh", "co quan ban hanh":
				m.setIssuer(value)
			case "ngay ban hanh":
				m.setDate(&m.IssuedAt, value)
			case "ngay hieu luc":
				m.setDate(&m.EffectiveAt, value)
			case "tinh trang":
				m.setStatus(value)
			}
		})
	})
}

func tvplIsLetterhead(lines []string) bool {
	for _, ln := range lines {
		if htmlReCountry.MatchString(ln) {
			return true
		}
	}
	return false
}

var tvplReTitleNoise = regexp.MustCompile(`(?i)(\s+áp dụng\s+\d{4})?(\s+mới nhất)?\s*$`)

// tvplPageTitle is the site's title for the document, without the
// search-engine tail ("… áp dụng 2025 mới nhất").
func tvplPageTitle(doc *goquery.Document) string {
	t := htmlText(doc.Find("#divThuocTinh h1").First())
	if t == "" {
		t = htmlCleanLine(doc.Find("title").First().Text())
	}
	return strings.TrimSpace(tvplReTitleNoise.ReplaceAllString(t, ""))
}
