package svgchart

import (
	"strings"
	"testing"
)

// The charts' SVG becomes presentation attributes, keeps its text
// escaped, and is refused when it is not one whole svg element.
func TestInline(t *testing.T) {
	in := `<svg xmlns="http://www.w3.org/2000/svg" width="360" height="240" viewBox="0 0 360 240">` +
		`<path d="M 0 0 L 1 1" style="stroke-width:3;stroke:rgb(84,112,198);fill:none;behavior:url(x)"/>` +
		`<text x="1" y="2" style="fill:rgb(70,70,70);font-size:16px;font-family:'Roboto Medium',sans-serif">Đất &lt;b&gt;</text></svg>`
	out, err := Inline([]byte(in), "c", `Số "phản ánh"`, "tk-chart")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, want := range []string{
		`stroke-width="3" stroke="rgb(84,112,198)" fill="none"/>`,
		`font-family="&#39;Roboto Medium&#39;,sans-serif"`,
		`>Đất &lt;b&gt;</text>`,
		`role="img" aria-labelledby="c-t" class="tk-chart" id="c"><title id="c-t">Số &#34;phản ánh&#34;</title>`,
		`viewBox="0 0 360 240"`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("inlined SVG lacks %s:\n%s", want, s)
		}
	}
	for _, bad := range []string{"style=", "behavior", `width="360"`, `height="240"`} {
		if strings.Contains(s, bad) {
			t.Errorf("inlined SVG keeps %s:\n%s", bad, s)
		}
	}
	for _, bad := range []string{
		`<html><svg></svg></html>`,
		`<svg viewBox="0 0 1 1"><path d="M 0 0"></svg>`,
		`<svg viewBox="0 0 1 1"></svg><svg viewBox="0 0 1 1"></svg>`,
		`<svg viewBox="0 0 1 1"></svg>trailing`,
		`<svg viewBox="0 0 1 1"><text>a & b</text></svg>`,
	} {
		if _, err := Inline([]byte(bad), "c", "t", "tk-chart"); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

func TestWholeNumber(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 3: "3", 2.5: "", 1200: "1200"} {
		if got := WholeNumber(v); got != want {
			t.Errorf("WholeNumber(%v) = %q, want %q", v, got, want)
		}
	}
}
