package report

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mattranso/mattranso/org"
)

// wellFormedSVG checks that s is one svg element, whole, with no style
// attribute and nothing but the allowed elements.
func wellFormedSVG(t *testing.T, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("not well-formed: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			if !svgElements[x.Name.Local] {
				t.Errorf("element %s", x.Name.Local)
			}
			for _, a := range x.Attr {
				if a.Name.Local == "style" || strings.HasPrefix(strings.ToLower(a.Name.Local), "on") {
					t.Errorf("attribute %s=%q on %s", a.Name.Local, a.Value, x.Name.Local)
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 || depth != 0 {
		t.Errorf("%d roots, depth %d", roots, depth)
	}
}

func TestCompletionChart(t *testing.T) {
	svg, cut, err := completionChart([]barItem{{"Phường Sài Gòn", 100}, {"Phường Tân Định", 33.3}, {"Xã <Ba> & Chẽ", 0}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	wellFormedSVG(t, s)
	if cut {
		t.Error("three bars cut")
	}
	for _, want := range []string{`id="bieu-do-ty-le"`, `role="img"`, "<title id=\"bieu-do-ty-le-t\">", "Phường Sài Gòn",
		"33,3", "Xã &lt;Ba&gt; &amp; Chẽ", `fill="rgb(`} {
		if !strings.Contains(s, want) {
			t.Errorf("the chart lacks %q", want)
		}
	}
	if strings.Contains(s, `width="360"`) {
		t.Error("the chart keeps a fixed width")
	}
	if svg, _, err := completionChart(nil); err != nil || svg != "" {
		t.Errorf("an empty chart: %q, %v", svg, err)
	}
	// Past maxBars, the lowest are drawn.
	var many []barItem
	for i := range maxBars + 10 {
		many = append(many, barItem{Label: fmt.Sprintf("Xã %02d", i), Percent: float64(100 - i)})
	}
	svg, cut, err = completionChart(many)
	if err != nil || !cut {
		t.Fatalf("cut %v, %v", cut, err)
	}
	if s := string(svg); strings.Contains(s, ">Xã 00<") || !strings.Contains(s, ">Xã 49<") {
		t.Error("the cut chart does not keep the lowest")
	}
}

func TestTrendChart(t *testing.T) {
	svg, err := trendChart([]trendPoint{{"T45", 50, 25}, {"T46", 75, 50}, {"T47", 100, 100}})
	if err != nil {
		t.Fatal(err)
	}
	wellFormedSVG(t, string(svg))
	for _, want := range []string{`id="bieu-do-xu-huong"`, "Đã báo cáo", "Đúng hạn", "T46"} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("the trend chart lacks %q", want)
		}
	}
	if svg, err := trendChart([]trendPoint{{"T47", 1, 1}}); err != nil || svg != "" {
		t.Errorf("one period drew %q, %v", svg, err)
	}
}

// TestSafeSVG: what is not drawing is refused or dropped, and a style's
// declarations become attributes.
func TestSafeSVG(t *testing.T) {
	for _, bad := range []string{
		`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>x</p></foreignObject></svg>`,
		`<svg xmlns="http://www.w3.org/2000/svg"></svg><svg></svg>`,
		`<g></g>`,
		`<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"`,
		`<svg xmlns="http://www.w3.org/2000/svg"><svg></svg></svg>`,
	} {
		if got, err := safeSVG([]byte(bad), "x", "X"); err == nil {
			t.Errorf("%s accepted as %s", bad, got)
		}
	}
	got, err := safeSVG([]byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="360" height="90" viewBox="0 0 360 90">`+
		`<path onclick="alert(1)" d="M 0 0 L 1 1" style="stroke:rgb(1,2,3);fill:url(http://evil.test/x);behavior:x"/>`+
		`<text x="1" y="2" style="font-family:'Roboto',sans-serif;font-size:11px" xlink:href="http://x">a &lt; b</text></svg>`), "c", `T "1"`)
	if err != nil {
		t.Fatal(err)
	}
	want := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 90" role="img" aria-labelledby="c-t" class="bc-chart" id="c">` +
		`<title id="c-t">T &#34;1&#34;</title><path d="M 0 0 L 1 1" stroke="rgb(1,2,3)"></path>` +
		`<text x="1" y="2" font-family="&#39;Roboto&#39;,sans-serif" font-size="11px">a &lt; b</text></svg>`
	if string(got) != want {
		t.Errorf("safeSVG:\n got %s\nwant %s", got, want)
	}
}

func TestLabels(t *testing.T) {
	for _, c := range []struct {
		typ  PeriodType
		key  string
		want string
	}{
		{Weekly, "2026-W47", "Tuần 47 năm 2026"},
		{Weekly, "2027-W01", "Tuần 1 năm 2027"},
		{Monthly, "2026-11", "Tháng 11 năm 2026"},
		{Quarterly, "2026-Q4", "Quý IV năm 2026"},
	} {
		p, err := ParsePeriod(c.typ, c.key)
		if err != nil {
			t.Fatal(err)
		}
		if got := PeriodLabel(p); got != c.want {
			t.Errorf("PeriodLabel(%s) = %q, want %q", c.key, got, c.want)
		}
	}
	p, _ := ParsePeriod(Weekly, "2026-W47")
	if got := periodDates(p); got != "16/11/2026 – 22/11/2026" {
		t.Errorf("periodDates = %q", got)
	}
	for x, want := range map[float64]string{0: "0", 1250: "1.250", 1234567.5: "1.234.567,5", -1000: "-1.000", 68.65: "68,65", 0.5: "0,5"} {
		if got := vnDecimal(x, 2); got != want {
			t.Errorf("vnDecimal(%v) = %q, want %q", x, got, want)
		}
	}
	for _, c := range []struct {
		t                       org.Territory
		o                       org.Org
		parent, issuer, signFor string
	}{
		{org.Territory{Code: "26734", Level: org.Commune, Name: "Phường Sài Gòn"}, org.MTTQ,
			"MẶT TRẬN TỔ QUỐC VIỆT NAM", "ỦY BAN MTTQ VIỆT NAM PHƯỜNG SÀI GÒN", "TM. BAN THƯỜNG TRỰC"},
		{org.Territory{Code: "VN", Level: org.Central, Name: "Việt Nam"}, org.MTTQ,
			"MẶT TRẬN TỔ QUỐC VIỆT NAM", "ỦY BAN TRUNG ƯƠNG", "TM. BAN THƯỜNG TRỰC"},
		{org.Territory{Code: "22", Level: org.Province, Name: "Tỉnh Quảng Ninh"}, org.DTN,
			"ĐOÀN THANH NIÊN CỘNG SẢN HỒ CHÍ MINH", "BAN CHẤP HÀNH ĐOÀN THANH NIÊN TỈNH QUẢNG NINH", "TM. BAN CHẤP HÀNH"},
	} {
		p, i, s := documentHead(c.t, c.o)
		if p != c.parent || i != c.issuer || s != c.signFor {
			t.Errorf("documentHead(%s/%s) = %q, %q, %q", c.t.Code, c.o, p, i, s)
		}
	}
	d := DefaultDatasets()[0]
	for now, want := range map[time.Time]string{
		time.Date(2026, 11, 23, 10, 0, 0, 0, Vietnam): "2026-W47", // Monday morning: last week's, due at 17:00
		time.Date(2026, 11, 23, 17, 1, 0, 0, Vietnam): "2026-W48",
		time.Date(2026, 11, 29, 22, 0, 0, 0, Vietnam): "2026-W48",
	} {
		if got := duePeriod(d, now).Key; got != want {
			t.Errorf("duePeriod(%s) = %s, want %s", now, got, want)
		}
	}
}

// TestReadValues: the form's fields as the service takes them.
func TestReadValues(t *testing.T) {
	d := Dataset{Fields: []Field{{Key: "n", Type: Integer}, {Key: "x", Type: Number}, {Key: "b", Type: Bool},
		{Key: "c", Type: Choice, Choices: []string{"A"}}, {Key: "s", Type: Text}, {Key: "e", Type: Integer}}}
	got := readValues(d, map[string][]string{"f_n": {" 12 "}, "f_x": {"2,5"}, "f_b": {"false"}, "f_c": {"A"},
		"f_s": {" text "}, "f_e": {""}, "f_zz": {"1"}})
	want := map[string]any{"n": 12.0, "x": 2.5, "b": false, "c": "A", "s": " text "}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("readValues = %v, want %v", got, want)
	}
	got = readValues(d, map[string][]string{"f_n": {"mười"}, "f_b": {"có"}})
	if got["n"] != "mười" || got["b"] != "có" {
		t.Errorf("unreadable values are not passed on as typed: %v", got)
	}
}
