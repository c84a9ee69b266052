package feed

import "embed"

// Samples holds the small NVD CVE JSON 2.0 and KEV excerpts of testdata
// (see testdata/README.md): the tests read them, and the demo province
// imports the records the real excerpt in sysinv/testdata/public lacks.
//
//go:embed testdata/nvdcve-2.0-sample.json testdata/kev-sample.json
var Samples embed.FS
