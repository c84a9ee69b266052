package feed

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
)

// liveMiB returns the live heap above base after a full collection, in MiB.
func liveMiB(base uint64) float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if m.HeapAlloc < base {
		return 0
	}
	return float64(m.HeapAlloc-base) / (1 << 20)
}

func heapBase() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// syntheticNVD builds an NVD CVE JSON 2.0 file of n records shaped like
// real ones (a description, a CVSS v3.1 metric, four cpeMatch ranges).
func syntheticNVD(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"resultsPerPage":` + fmt.Sprint(n) + `,"startIndex":0,"totalResults":` + fmt.Sprint(n) + `,"format":"NVD_CVE","version":"2.0","timestamp":"2026-11-20T03:00:01.000","vulnerabilities":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"cve":{"id":"CVE-2026-%05d","sourceIdentifier":"cve@mitre.org","published":"2026-01-02T10:15:07.593","lastModified":"2026-02-03T11:15:13.960","vulnStatus":"Analyzed",`+
			`"descriptions":[{"lang":"en","value":"A buffer overflow in product %d allows remote attackers to execute arbitrary code via a crafted request to the management interface."}],`+
			`"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":9.8,"baseSeverity":"CRITICAL"},"exploitabilityScore":3.9,"impactScore":5.9}]},`+
			`"weaknesses":[{"source":"nvd@nist.gov","type":"Primary","description":[{"lang":"en","value":"CWE-787"}]}],`+
			`"configurations":[{"nodes":[{"operator":"OR","negate":false,"cpeMatch":[`+
			`{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:product%d:*:*:*:*:*:*:*:*","versionEndExcluding":"1.2.3","matchCriteriaId":"A"},`+
			`{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:product%d:*:*:*:*:*:*:*:*","versionStartIncluding":"2.0","versionEndExcluding":"2.4.1","matchCriteriaId":"B"},`+
			`{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:product%d:*:*:*:*:*:*:*:*","versionStartIncluding":"3.0","versionEndExcluding":"3.1.7","matchCriteriaId":"C"},`+
			`{"vulnerable":true,"criteria":"cpe:2.3:a:vendor%d:product%d:4.0:beta1:*:*:*:*:*:*","matchCriteriaId":"D"}]}]}],`+
			`"references":[{"url":"https://example.com/advisory/%d","source":"cve@mitre.org"}]}}`,
			i, i, i%500, i, i%500, i, i%500, i, i%500, i, i)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// BenchmarkReadNVD compares the streamed reader (one record in memory,
// records validated: CPE names and ranges parsed) with the baseline of
// decoding the whole file at once with encoding/json into the same record
// structs (no validation). live-MiB is the live heap the reader holds mid-file (streamed)
// or the decoded records (baseline), not counting the file's bytes.
func BenchmarkReadNVD(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		data := syntheticNVD(n)
		b.Run(fmt.Sprintf("streamed/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				info, err := Read(bytes.NewReader(data), NVD, 0, Handler{CVE: func(CVE) error { return nil }})
				if err != nil || info.Records != n {
					b.Fatalf("Read = %+v, %v", info, err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			// Live memory in the middle of the file: what the reader holds.
			base, live, i := heapBase(), 0.0, 0
			_, _ = Read(bytes.NewReader(data), NVD, 0, Handler{CVE: func(CVE) error {
				if i++; i == n/2 {
					live = liveMiB(base)
				}
				return nil
			}})
			b.ReportMetric(live, "live-MiB")
		})
		b.Run(fmt.Sprintf("whole-file-baseline/%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				var f struct {
					Vulnerabilities []nvdRecord `json:"vulnerabilities"`
				}
				if err := json.Unmarshal(data, &f); err != nil || len(f.Vulnerabilities) != n {
					b.Fatalf("Unmarshal: %v", err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			// Live memory once decoded: the whole file's records.
			base := heapBase()
			var f struct {
				Vulnerabilities []nvdRecord `json:"vulnerabilities"`
			}
			_ = json.Unmarshal(data, &f)
			b.ReportMetric(liveMiB(base), "live-MiB")
			runtime.KeepAlive(f)
		})
	}
}
