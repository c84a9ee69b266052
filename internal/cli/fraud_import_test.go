package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/cascadia"

	"bulwark/internal/fraud"
)

// largeFraudCSV is a generated telecom list of n reported numbers (every
// 50th row malformed), about 100 bytes a row.
func largeFraudCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("kind,value,channel,scam_type,amount,narrative\n")
	for i := range n {
		if i%50 == 49 {
			fmt.Fprintf(&b, "phone,abc%d,call,,,\n", i)
			continue
		}
		fmt.Fprintf(&b, "phone,09%08d,call,impersonation_bank,%d,\"Thuê bao bị phản ánh gọi giả danh ngân hàng, dòng %06d\"\n", i, 10_000*(i%3), i)
	}
	return b.Bytes()
}

// TestFraudImportLargeAPI posts a generated CSV larger than the 1 MiB
// that JSON bodies get to POST /api/v1/fraud/reports/import: it is read
// row by row and every row is in the per-row report. With the limit set
// to 1 MB by BULWARK_FRAUD_IMPORT_MAX_MB, the same file stops at the
// limit: the rows before are stored and listed, "stopped" says why.
func TestFraudImportLargeAPI(t *testing.T) {
	const rows = 12_000
	csv := largeFraudCSV(rows)
	if len(csv) <= 1<<20 {
		t.Fatalf("generated CSV is %d bytes; want more than 1 MiB", len(csv))
	}
	post := func(t *testing.T, e *testEnv) fraud.ImportResult {
		start := time.Now()
		resp, body := e.raw(t, "POST", "/api/v1/fraud/reports/import", e.tokens[fraudAnalyst], "text/csv", bytes.NewReader(csv), nil)
		if resp.StatusCode != 200 {
			t.Fatalf("import = %d: %.300s", resp.StatusCode, body)
		}
		var res fraud.ImportResult
		if err := json.Unmarshal(body, &res); err != nil {
			t.Fatalf("import answer is not an ImportResult: %v: %.300s", err, body)
		}
		t.Logf("%d bytes, %d rows answered in %v (%.0f rows/s), answer %d bytes", len(csv), len(res.Rows), time.Since(start),
			float64(len(res.Rows))/time.Since(start).Seconds(), len(body))
		return res
	}
	t.Run("whole file", func(t *testing.T) {
		e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
		res := post(t, e)
		if len(res.Rows) != rows || res.Imported != rows-rows/50 || res.Failed != rows/50 || res.Stopped != "" {
			t.Fatalf("import: %d rows, %d imported, %d failed, stopped %q", len(res.Rows), res.Imported, res.Failed, res.Stopped)
		}
		for i, r := range res.Rows {
			if r.Line != i+2 || r.OK != (i%50 != 49) || (r.OK && !strings.HasPrefix(r.TrackingCode, "LD-")) || (!r.OK && r.Field != "value") {
				t.Fatalf("row %d = %+v", i, r)
			}
		}
		var subjects struct{ Total int }
		decodeJSON(t, e.call(t, "GET", "/api/v1/fraud/subjects?q=0900011998", fraudAnalyst, "", 200), &subjects)
		if subjects.Total != 1 {
			t.Errorf("the last imported number is %d subjects, want 1", subjects.Total)
		}
	})
	t.Run("over the limit", func(t *testing.T) {
		t.Setenv("BULWARK_FRAUD_IMPORT_MAX_MB", "1")
		e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
		res := post(t, e)
		if res.Stopped == "" || len(res.Rows) == 0 || len(res.Rows) >= rows || res.Imported+res.Failed != len(res.Rows) {
			t.Fatalf("over the limit: %d rows, %d imported, stopped %q", len(res.Rows), res.Imported, res.Stopped)
		}
		// A file refused before any row is an ordinary problem.
		resp, body := e.raw(t, "POST", "/api/v1/fraud/reports/import", e.tokens[fraudAnalyst], "text/csv", strings.NewReader("a,b\n1,2\n"), nil)
		if resp.StatusCode != 400 || !strings.Contains(string(body), `"field":"file"`) {
			t.Errorf("CSV without kind/value = %d %s", resp.StatusCode, body)
		}
		resp, _ = e.raw(t, "POST", "/api/v1/fraud/reports/import", e.tokens[vtlLiaison], "text/csv", bytes.NewReader(csv[:1000]), nil)
		if resp.StatusCode != 403 {
			t.Errorf("import by a liaison = %d, want 403", resp.StatusCode)
		}
	})
}

// TestFraudIntakeUpload: the staff intake page takes evidence files like
// the public form: a picture is kept, a program named .png is refused by
// its content, and the report has the one good file.
func TestFraudIntakeUpload(t *testing.T) {
	e := newTestEnv(t, "sqlite:"+filepath.Join(t.TempDir(), "b.db"))
	e.seedFraud(t)
	staff := e.browser(t)
	staff.login(fraudAnalyst, e.accounts[fraudAnalyst].Password)
	_, doc := staff.get("/fraud/reports/new")
	if cascadia.Query(doc, cascadia.MustCompile(`form#fraud-form[enctype="multipart/form-data"] input#evidence[type=file]`)) == nil {
		t.Fatal("the intake form has no file input")
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("csrf", csrfOf(doc))
	for k, v := range map[string]string{"channel": "zalo", "scam_type": "impersonation_police", "id_kind_0": "phone", "id_value_0": "0935 111 222",
		"narrative": "Nạn nhân đến trình báo tại trụ sở", "reporter_name": "Phạm Thị D"} {
		_ = mw.WriteField(k, v)
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 300)...)
	fw, _ := mw.CreateFormFile("evidence", "zalo-chat.png")
	fw.Write(png)
	fw, _ = mw.CreateFormFile("evidence", "invoice.png")
	fw.Write([]byte("MZ\x90\x00 this is a Windows program"))
	mw.Close()
	resp, err := staff.c.Post(e.srv.URL+"/fraud/reports", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ = parseHTML(resp.Body)
	resp.Body.Close()
	code := textOf(cascadia.Query(doc, cascadia.MustCompile(`#tracking-code`)))
	ok := cascadia.QueryAll(doc, cascadia.MustCompile(`#file-results li.ok`))
	bad := cascadia.QueryAll(doc, cascadia.MustCompile(`#file-results li.field-error`))
	if resp.StatusCode != 200 || !strings.HasPrefix(code, "LD-") || len(ok) != 1 || len(bad) != 1 || !strings.Contains(textOf(ok[0]), "zalo-chat.png") {
		t.Fatalf("intake = %d, code %q, %d files kept, %d refused", resp.StatusCode, code, len(ok), len(bad))
	}
	var list struct{ Items []fraud.Report }
	decodeJSON(t, e.call(t, "GET", "/api/v1/fraud/reports?source=staff", fraudAnalyst, "", 200), &list)
	var found bool
	for _, r := range list.Items {
		if r.Narrative != "Nạn nhân đến trình báo tại trụ sở" {
			continue
		}
		found = true
		var rep fraud.Report
		decodeJSON(t, e.call(t, "GET", fmt.Sprintf("/api/v1/fraud/reports/%d", r.ID), fraudAnalyst, "", 200), &rep)
		if len(rep.Evidence) != 1 || rep.Evidence[0].ContentType != "image/png" || rep.Evidence[0].Size != int64(len(png)) {
			t.Errorf("report evidence = %+v", rep.Evidence)
		}
		status, _ := staff.get(fmt.Sprintf("/fraud/evidence/%d", rep.Evidence[0].ID))
		if status != 200 {
			t.Errorf("evidence download = %d", status)
		}
	}
	if !found {
		t.Error("the staff report is not listed")
	}
}
