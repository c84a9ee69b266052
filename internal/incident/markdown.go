package incident

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders CommonMark with tables, strikethrough and autolinks;
// raw HTML in the source is escaped by goldmark's default and whatever
// comes out is sanitised again by the UGC policy, so neither layer alone
// decides what reaches the page.
var (
	markdown  = goldmark.New(goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify))
	sanitizer = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		return p
	}()
)

// maxMarkdown bounds the source rendered at once.
const maxMarkdown = 200_000

// RenderMarkdown turns Markdown typed by a person into safe HTML: no
// scripts, no event handlers, no javascript: links. It never fails; text it
// cannot render is shown escaped.
func RenderMarkdown(src string) template.HTML {
	if len(src) > maxMarkdown {
		src = src[:maxMarkdown]
	}
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(sanitizer.SanitizeBytes(buf.Bytes())) //nolint:gosec // sanitised by bluemonday just above
}
