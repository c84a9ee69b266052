package sysinv

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
)

// publicData holds real records of the public catalogues, unmodified (see
// testdata/public/README.md for their source, commit and licence): NVD CVE
// records as the NVD CVE API 2.0 returns them, one file per CVE, and an
// excerpt of the CISA KEV catalogue.
//
//go:embed testdata/public/nvd/*.json testdata/public/known_exploited_vulnerabilities.json
var publicData embed.FS

// PublicNVDFeed returns the embedded NVD records as one NVD CVE JSON 2.0
// file, the shape of the NVD yearly feeds and of an API 2.0 response:
// {"resultsPerPage":N,...,"format":"NVD_CVE","version":"2.0","vulnerabilities":[{"cve":<record>},...]}.
// Each record is copied byte for byte into the envelope; the envelope is
// the only part written here. The demo province imports it, and the tests
// check the counts and findings it gives.
func PublicNVDFeed() io.Reader {
	names, err := fs.Glob(publicData, "testdata/public/nvd/*.json")
	if err != nil || len(names) == 0 {
		panic("sysinv: embedded NVD records missing") // a build defect, caught by the tests
	}
	sort.Strings(names)
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"resultsPerPage":%d,"startIndex":0,"totalResults":%d,"format":"NVD_CVE","version":"2.0","vulnerabilities":[`, len(names), len(names))
	for i, name := range names {
		rec, err := publicData.ReadFile(name)
		if err != nil {
			panic("sysinv: embedded NVD record " + path.Base(name) + ": " + err.Error())
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"cve":`)
		b.Write(rec)
		b.WriteByte('}')
	}
	b.WriteString("]}\n")
	return &b
}

// PublicKEV returns the embedded excerpt of the CISA Known Exploited
// Vulnerabilities catalogue (its header as published, nine of its entries).
func PublicKEV() io.Reader {
	b, err := publicData.ReadFile("testdata/public/known_exploited_vulnerabilities.json")
	if err != nil {
		panic("sysinv: embedded KEV excerpt missing")
	}
	return bytes.NewReader(b)
}
