package incident_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/net/html"

	"bulwark/internal/access"
	"bulwark/internal/incident"
)

// pdfText extracts a PDF's text with pdftotext (poppler-utils). Without it
// the test skips, unless BULWARK_TEST_SHARED=required.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("BULWARK_TEST_SHARED") == "required" {
			t.Fatal("pdftotext (poppler-utils) is required but not installed")
		}
		t.Skip("pdftotext (poppler-utils) not installed; install it to check the PDF's text")
	}
	in := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

func TestIsSerious(t *testing.T) {
	tests := []struct {
		level   int
		effects []incident.Effect
		beyond  bool
		want    bool
	}{
		{5, []incident.Effect{incident.EffectStateSecret}, true, true},
		{4, []incident.Effect{incident.EffectSpread}, true, true},
		{3, []incident.Effect{incident.EffectSpread}, true, false},
		{4, nil, true, false},
		{4, []incident.Effect{incident.EffectInterruption}, false, false},
	}
	for _, tt := range tests {
		if got := incident.IsSerious(tt.level, tt.effects, tt.beyond); got != tt.want {
			t.Errorf("IsSerious(%d, %v, %t) = %t, want %t", tt.level, tt.effects, tt.beyond, got, tt.want)
		}
	}
}

func TestTaxonomyLeavesOutHarmfulSpeech(t *testing.T) {
	for _, c := range incident.Taxonomy {
		if c.Type == "harmful-speech" {
			t.Fatal("harmful-speech is offered")
		}
	}
	for _, code := range []string{"malicious-code/infected-system", "intrusions/system-compromise", "availability/ddos", "information-content-security/data-leak", "fraud/phishing"} {
		if !incident.ValidCategory(code) {
			t.Errorf("%s is not offered", code)
		}
	}
}

func TestExports(t *testing.T) {
	now := time.Date(2026, 11, 20, 1, 0, 0, 0, time.UTC)
	list := []incident.Incident{{Ref: "SC-2026-0001", Title: "=HYPERLINK(\"http://evil\")", Category: "fraud/phishing", Severity: "high",
		TLP: access.Amber, PAP: incident.PAPAmber, Status: incident.StatusNew, Owner: incident.Ref{Code: "TPBA"}, Lead: incident.Ref{Code: "CAT"},
		DetectedAt: now, ReportedAt: now}}
	loc := time.FixedZone("ICT", 7*3600)
	var csvBuf bytes.Buffer
	if err := incident.WriteCSV(&csvBuf, list, loc); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csvBuf.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ref,title,") || !strings.Contains(lines[1], `'=HYPERLINK`) || !strings.Contains(lines[1], "2026-11-20 08:00") {
		t.Errorf("CSV =\n%s", csvBuf.String())
	}
	var x bytes.Buffer
	if err := incident.WriteXLSX(&x, list, loc); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&x)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Sự cố")
	if err != nil || len(rows) != 2 || rows[0][0] != "Số hiệu" || rows[1][0] != "SC-2026-0001" {
		t.Errorf("XLSX rows = %v, %v", rows, err)
	}
	if formula, _ := f.GetCellFormula("Sự cố", "B2"); formula != "" {
		t.Errorf("B2 holds a formula %q", formula)
	}
}

func TestRenderMarkdown(t *testing.T) {
	tests := []struct {
		src, want, notWant string
	}{
		{"**đậm** và `mã`", "<strong>đậm</strong>", ""},
		{"<script>alert(1)</script>", "", "<script"},
		{"[x](javascript:alert(1))", "", "javascript:"},
		{`<img src=x onerror="alert(1)">`, "", "onerror"},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "<table>", ""},
		{"https://example.vn", `rel="nofollow`, ""},
	}
	for _, tt := range tests {
		got := string(incident.RenderMarkdown(tt.src))
		if tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("RenderMarkdown(%q) = %q, want it to contain %q", tt.src, got, tt.want)
		}
		if tt.notWant != "" && strings.Contains(strings.ToLower(got), tt.notWant) {
			t.Errorf("RenderMarkdown(%q) = %q contains %q", tt.src, got, tt.notWant)
		}
	}
}

// FuzzRenderMarkdown: whatever is typed, the HTML that reaches the page
// has no script-capable element, no event handler attribute and no link or
// source with a javascript:, vbscript: or data: URL. Text that merely reads
// "javascript:" is harmless and allowed.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"<script>alert(1)</script>", "[a](javascript:alert(1))", "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
		"<svg onload=alert(1)>", "![x](x\" onerror=\"alert(1))", "<iframe src=//evil>", "<<script>script>",
		"<a href=\"JaVaScRiPt:alert(1)\">x</a>", "```\n<script>\n```", "<style>*{}</style>", "<img src=x onerror=alert(1)//",
		"[x](&#106;avascript:alert(1))", "<math><mi xlink:href=\"javascript:alert(1)\">", "[x](data:text/html;base64,PHNjcmlwdD4=)",
		"<a href=\" javascript:alert(1)\">x</a>", "[x]( vbscript:msgbox)",
	} {
		f.Add(s)
	}
	bad := map[string]bool{"script": true, "iframe": true, "svg": true, "math": true, "style": true, "object": true, "embed": true,
		"form": true, "input": true, "button": true, "link": true, "meta": true, "base": true, "frame": true, "frameset": true}
	f.Fuzz(func(t *testing.T, src string) {
		out := string(incident.RenderMarkdown(src))
		doc, err := html.Parse(strings.NewReader(out))
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		var walk func(*html.Node)
		walk = func(n *html.Node) {
			if n.Type == html.ElementNode {
				if bad[strings.ToLower(n.Data)] {
					t.Fatalf("RenderMarkdown(%q) = %q has <%s>", src, out, n.Data)
				}
				for _, a := range n.Attr {
					k := strings.ToLower(a.Key)
					if strings.HasPrefix(k, "on") || k == "style" || k == "srcdoc" || k == "formaction" {
						t.Fatalf("RenderMarkdown(%q) = %q has attribute %s", src, out, a.Key)
					}
					if k == "href" || k == "src" || k == "action" || strings.HasSuffix(k, ":href") {
						v := strings.ToLower(strings.Map(func(r rune) rune {
							if r <= ' ' {
								return -1
							}
							return r
						}, a.Val))
						for _, scheme := range []string{"javascript:", "vbscript:", "data:"} {
							if strings.HasPrefix(v, scheme) {
								t.Fatalf("RenderMarkdown(%q) = %q has %s=%q", src, out, a.Key, a.Val)
							}
						}
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c)
			}
		}
		walk(doc)
	})
}
