package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
)

// htmlDoc is a standalone page: no script and no inline style attribute
// that a strict CSP would refuse; charts are SVG bars.
var htmlDoc = template.Must(template.New("report").Funcs(template.FuncMap{
	"add":  func(a, b int) int { return a + b },
	"bars": bars,
}).Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body>
<header><p>{{.Body}}</p><h1>{{.Title}}</h1><p>Lập tự động lúc {{.GeneratedAt.Format "2006-01-02 15:04"}} UTC</p></header>
{{range $i, $s := .Sections}}<section id="{{$s.Key}}">
<h2>{{add $i 1}}. {{$s.Title}}</h2>
{{with $s.Note}}<p class="note">{{.}}</p>{{end}}
{{if $s.Facts}}<dl>{{range $s.Facts}}<dt>{{.Label}}</dt><dd>{{.Value}}</dd>{{end}}</dl>{{end}}
{{range $s.Charts}}<figure><figcaption>{{.Title}}</figcaption>{{bars .}}</figure>{{end}}
{{range $s.Tables}}<table><caption>{{.Title}}</caption><thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table>{{end}}
</section>{{end}}
</body></html>
`))

// bars draws a chart as an SVG of horizontal bars.
func bars(c Chart) template.HTML {
	peak := 0.0
	for _, v := range c.Values {
		peak = max(peak, v)
	}
	var b bytes.Buffer
	h := 22*len(c.Values) + 4
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="%d" role="img" aria-label="%s">`, h, template.HTMLEscapeString(c.Title))
	for i, v := range c.Values {
		w := 0.0
		if peak > 0 {
			w = 380 * v / peak
		}
		y := 4 + 22*i
		fmt.Fprintf(&b, `<text x="196" y="%d" text-anchor="end" font-size="12">%s</text><rect x="200" y="%d" width="%.1f" height="16" fill="#2563a0"/><text x="%.1f" y="%d" font-size="12">%s</text>`,
			y+13, template.HTMLEscapeString(clip(label(c.Labels, i), 40)), y, w, 204+w, y+13, trimFloat(v))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // every text above is escaped
}

// WriteHTML renders r as a standalone HTML document.
func WriteHTML(w io.Writer, r Report) error {
	var buf bytes.Buffer
	if err := htmlDoc.Execute(&buf, r); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}
