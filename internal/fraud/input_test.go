package fraud_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

func TestCanonical(t *testing.T) {
	tests := []struct {
		name          string
		in            fraud.Identifier
		kind          fraud.IdentifierKind
		value, detail string
		errField      string
	}{
		{"phone local", phone("0912 345 678"), fraud.KindPhone, "+84912345678", "", ""},
		{"phone dashes", phone("84-912-345-678"), fraud.KindPhone, "+84912345678", "", ""},
		{"phone garbage", phone("abc"), "", "", "", "value"},
		{"phone too short", phone("+84 000"), "", "", "", "value"},
		{"url to registered domain", fraud.Identifier{Kind: fraud.KindURL, Value: "https://Login.Evil-Bank.com.vn/a/../b?x=1#frag"}, fraud.KindDomain, "evil-bank.com.vn", "https://login.evil-bank.com.vn/b?x=1", ""},
		{"bare domain", fraud.Identifier{Kind: fraud.KindURL, Value: "shop.evil.example"}, fraud.KindDomain, "evil.example", "", ""},
		{"url with credentials", fraud.Identifier{Kind: fraud.KindURL, Value: "https://user:pass@evil.example/"}, "", "", "", "value"},
		{"javascript url", fraud.Identifier{Kind: fraud.KindURL, Value: "javascript:alert(1)"}, "", "", "", "value"},
		{"ftp url", fraud.Identifier{Kind: fraud.KindURL, Value: "ftp://evil.example/x"}, "", "", "", "value"},
		{"ip url", fraud.Identifier{Kind: fraud.KindURL, Value: "http://192.0.2.1/login"}, "", "", "", "value"},
		{"public suffix", fraud.Identifier{Kind: fraud.KindURL, Value: "com.vn"}, "", "", "", "value"},
		{"account", fraud.Identifier{Kind: fraud.KindAccount, Value: "0011 0012 34567", Bank: "vcb", AccountName: "nguyen van b"}, fraud.KindAccount, "VCB:0011001234567", "NGUYEN VAN B", ""},
		{"account without bank", fraud.Identifier{Kind: fraud.KindAccount, Value: "0011001234567"}, "", "", "", "bank"},
		{"account letters", fraud.Identifier{Kind: fraud.KindAccount, Value: "12ab34", Bank: "VCB"}, "", "", "", "value"},
		{"social", fraud.Identifier{Kind: fraud.KindSocial, Value: "https://www.facebook.com/Some.Page?ref=share"}, fraud.KindSocial, "facebook:somepage", "", ""},
		{"sender", fraud.Identifier{Kind: fraud.KindSender, Value: "vcb-bank"}, fraud.KindSender, "VCB-BANK", "", ""},
		{"unknown kind", fraud.Identifier{Kind: "pager", Value: "1"}, "", "", "", "kind"},
		{"empty", phone("  "), "", "", "", "value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, value, detail, err := fraud.Canonical(tt.in)
			if tt.errField != "" {
				if errs.FieldOf(err) != tt.errField {
					t.Fatalf("Canonical(%+v) error = %v (field %q), want field %q", tt.in, err, errs.FieldOf(err), tt.errField)
				}
				return
			}
			if err != nil {
				t.Fatalf("Canonical(%+v) = %v", tt.in, err)
			}
			if diff := cmp.Diff([]string{string(tt.kind), tt.value, tt.detail}, []string{string(kind), value, detail}); diff != "" {
				t.Errorf("Canonical(%+v) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// TestBadReports: each bad report gets a clear error naming the field,
// and nothing already stored is harmed.
func TestBadReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		good, err := w.svc.Submit(ctx, report(phone("0912345678")), "192.0.2.10")
		if err != nil {
			t.Fatal(err)
		}
		many := make([]fraud.Identifier, 10000)
		for i := range many {
			many[i] = phone(fmt.Sprintf("09123%05d", i))
		}
		noConsent := report(phone("0912345678"))
		noConsent.Consent = false
		longText := report(phone("0912345678"))
		longText.Narrative = strings.Repeat("á", fraud.MaxNarrative+1)
		badAmount := report(phone("0912345678"))
		badAmount.Amount = -5
		badDate := report(phone("0912345678"))
		badDate.OccurredOn = "2099-01-01"
		badChannel := report(phone("0912345678"))
		badChannel.Channel = "carrier-pigeon"
		badEmail := report(phone("0912345678"))
		badEmail.Reporter.Email = "not an email"
		tests := []struct {
			name  string
			in    fraud.ReportInput
			field string
		}{
			{"garbage number", report(phone("abc")), "identifiers[0].value"},
			{"+84 000", report(phone("0912345678"), phone("+84 000")), "identifiers[1].value"},
			{"url with credentials", report(fraud.Identifier{Kind: fraud.KindURL, Value: "http://admin:pw@evil.example"}), "identifiers[0].value"},
			{"odd scheme", report(fraud.Identifier{Kind: fraud.KindURL, Value: "data:text/html,<script>alert(1)</script>"}), "identifiers[0].value"},
			{"10,000 identifiers", report(many...), "identifiers"},
			{"no identifiers", report(), "identifiers"},
			{"no consent", noConsent, "consent"},
			{"narrative too long", longText, "narrative"},
			{"negative amount", badAmount, "amount"},
			{"future date", badDate, "occurred_on"},
			{"unknown channel", badChannel, "channel"},
			{"bad reporter e-mail", badEmail, "reporter.email"},
		}
		for i, tt := range tests {
			_, err := w.svc.Submit(ctx, tt.in, fmt.Sprintf("192.0.2.%d", 100+i))
			if !errs.Is(err, errs.Invalid) || errs.FieldOf(err) != tt.field {
				t.Errorf("%s: Submit = %v (field %q), want Invalid on %q", tt.name, err, errs.FieldOf(err), tt.field)
			}
		}
		// A script in the narrative is kept as text (pages escape it).
		scr := report(phone("0912345678"))
		scr.Narrative = `<script>alert("x")</script> gọi lúc 9h`
		if _, err := w.svc.Submit(ctx, scr, "192.0.2.50"); err != nil {
			t.Fatalf("Submit with markup in narrative: %v", err)
		}
		// The honeypot: accepted-looking, nothing stored.
		bot := report(phone("0912345678"))
		bot.Website = "http://spam.example"
		if _, err := w.svc.Submit(ctx, bot, "192.0.2.51"); err != fraud.ErrHoneypot {
			t.Errorf("honeypot Submit = %v, want ErrHoneypot", err)
		}
		sb, err := w.svc.SubjectByValue(w.as("analyst"), fraud.KindPhone, "+84912345678")
		if err != nil || sb.ReportCount != 2 {
			t.Errorf("subject after bad reports = %+v, %v; want 2 reports (the good one and the markup one)", sb, err)
		}
		if st, err := w.svc.Status(ctx, good.TrackingCode, "192.0.2.200"); err != nil || st.Status != fraud.ReportReceived {
			t.Errorf("good report status = %+v, %v", st, err)
		}
		for _, code := range []string{"", "LD-AAAA-AAAA-AAAA", "../../etc", strings.Repeat("A", 5000), "ld-0000-0000-0000"} {
			if _, err := w.svc.Status(ctx, code, "192.0.2.200"); !errs.Is(err, errs.NotFound) {
				t.Errorf("Status(%.20q) = %v, want NotFound", code, err)
			}
		}
	})
}

func TestRateLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		var limited int
		for i := range 20 {
			_, err := w.svc.Submit(ctx, report(phone(fmt.Sprintf("09123400%02d", i))), "198.51.100.7")
			if errs.Is(err, errs.RateLimited) {
				limited++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if limited != 15 {
			t.Errorf("a flood of 20 reports from one address: %d refused, want 15 (burst of 5)", limited)
		}
		// Another address is not affected.
		if _, err := w.svc.Submit(ctx, report(phone("0912340099")), "198.51.100.8"); err != nil {
			t.Errorf("Submit from another address = %v", err)
		}
		// One identifier from many addresses: limited too.
		limited = 0
		for i := range 40 {
			if _, err := w.svc.Submit(ctx, report(phone("0987000111")), fmt.Sprintf("10.0.%d.1", i)); errs.Is(err, errs.RateLimited) {
				limited++
			}
		}
		if limited != 10 {
			t.Errorf("40 reports of one number: %d refused, want 10 (burst of 30)", limited)
		}
		limited = 0
		for range 40 {
			if _, err := w.svc.Lookup(ctx, "0912345678", "198.51.100.9"); errs.Is(err, errs.RateLimited) {
				limited++
			}
		}
		if limited != 10 {
			t.Errorf("40 look-ups: %d refused, want 10", limited)
		}
	})
}

// countingReader yields n bytes of a PNG-looking stream and counts what
// was read, to prove a huge upload is cut off rather than buffered.
type countingReader struct {
	n, read int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.read >= c.n {
		return 0, io.EOF
	}
	k := int64(len(p))
	if k > c.n-c.read {
		k = c.n - c.read
	}
	for i := range p[:k] {
		p[i] = 0
	}
	if c.read == 0 && k >= 8 {
		copy(p, "\x89PNG\r\n\x1a\n")
	}
	c.read += k
	return int(k), nil
}

func TestEvidence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		rc, err := w.svc.Submit(ctx, report(phone("0912345678")), "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 100)...)
		ev, err := w.svc.AddEvidence(ctx, rc.TrackingCode, `..\..\screenshot "zalo".png`, bytes.NewReader(png))
		if err != nil || ev.ContentType != "image/png" || ev.Filename != "screenshot zalo.png" || ev.Size != int64(len(png)) {
			t.Fatalf("AddEvidence(png) = %+v, %v", ev, err)
		}
		for _, tt := range []struct{ name, body, ct string }{
			{"pdf", "%PDF-1.7\n...", "application/pdf"},
			{"mp3", "ID3\x03\x00\x00\x00\x00\x00\x00rest", "audio/mpeg"},
			{"amr", "#!AMR\nabc", "audio/amr"},
		} {
			ev, err := w.svc.AddEvidence(ctx, rc.TrackingCode, tt.name, strings.NewReader(tt.body))
			if err != nil || ev.ContentType != tt.ct {
				t.Errorf("AddEvidence(%s) = %+v, %v; want %s", tt.name, ev, err, tt.ct)
			}
		}
		for _, bad := range []string{"MZ\x90\x00 windows program", "<html><script>alert(1)</script>", "PK\x03\x04 zip", ""} {
			if _, err := w.svc.AddEvidence(ctx, rc.TrackingCode, "photo.png", strings.NewReader(bad)); errs.FieldOf(err) != "evidence" {
				t.Errorf("AddEvidence(%.10q named photo.png) = %v, want refused", bad, err)
			}
		}
		// A "1 GB" upload: refused once past the limit, never read whole.
		huge := &countingReader{n: 1 << 30}
		if _, err := w.svc.AddEvidence(ctx, rc.TrackingCode, "big.png", huge); !errs.Is(err, errs.TooLarge) {
			t.Errorf("AddEvidence(1 GB) = %v, want TooLarge", err)
		}
		if huge.read > fraud.MaxEvidenceSize+1<<20 {
			t.Errorf("read %d bytes of a 1 GB upload; want it cut off near %d", huge.read, fraud.MaxEvidenceSize)
		}
		if _, err := w.svc.AddEvidence(ctx, rc.TrackingCode, "fifth.png", bytes.NewReader(png)); err != nil {
			t.Errorf("fifth file = %v", err)
		}
		if _, err := w.svc.AddEvidence(ctx, rc.TrackingCode, "sixth.png", bytes.NewReader(png)); errs.FieldOf(err) != "evidence" {
			t.Errorf("sixth file = %v, want the per-report limit", err)
		}
		if _, err := w.svc.AddEvidence(ctx, "LD-2222-2222-2222", "x.png", bytes.NewReader(png)); !errs.Is(err, errs.NotFound) {
			t.Errorf("AddEvidence with an unknown code = %v, want NotFound", err)
		}
		st, _ := w.svc.Status(ctx, rc.TrackingCode, "192.0.2.200")
		if st.EvidenceFiles != 5 {
			t.Errorf("evidence files = %d, want 5", st.EvidenceFiles)
		}
		if _, _, err := w.svc.OpenEvidence(w.as("vtl"), ev.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("OpenEvidence by a liaison = %v, want Forbidden", err)
		}
		got, body, err := w.svc.OpenEvidence(w.as("analyst"), ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(body)
		body.Close()
		if !bytes.Equal(b, png) || got.ContentType != "image/png" {
			t.Errorf("OpenEvidence = %d bytes %s", len(b), got.ContentType)
		}
	})
}

func TestRetentionAndReporterRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		in := report(phone("0912345678"))
		in.Reporter = fraud.Contact{Name: "Trần Thị C", Email: "C.Tran@Example.vn"}
		if _, err := w.svc.Submit(ctx, in, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		in2 := report(phone("0987654321"))
		in2.Reporter = fraud.Contact{Name: "Trần Thị C", Email: "c.tran@example.vn"}
		if _, err := w.svc.Submit(ctx, in2, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.ExportReporter(w.as("analyst"), "c.tran@example.vn"); !errs.Is(err, errs.Forbidden) {
			t.Errorf("ExportReporter by an analyst = %v, want Forbidden", err)
		}
		data, err := w.svc.ExportReporter(w.as("admin"), "C.TRAN@example.vn")
		if err != nil || len(data.Reports) != 2 || len(data.Contacts) != 1 || data.Contacts[0].Name != "Trần Thị C" {
			t.Fatalf("ExportReporter = %+v, %v", data, err)
		}
		// Confirm the first subject: its report closes; retention then applies.
		sb, _ := w.svc.SubjectByValue(w.as("analyst"), fraud.KindPhone, "+84912345678")
		if _, err := w.svc.Decide(w.as("analyst"), sb.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: "ok"}); err != nil {
			t.Fatal(err)
		}
		if n, err := w.svc.Anonymise(system()); err != nil || n != 0 {
			t.Errorf("Anonymise before the retention period = %d, %v", n, err)
		}
		w.clock.Add(366 * 24 * time.Hour)
		if n, err := w.svc.Anonymise(system()); err != nil || n != 1 {
			t.Errorf("Anonymise after the retention period = %d, %v; want 1", n, err)
		}
		r, err := w.svc.GetReport(w.as("analyst"), data.Reports[0].ID)
		if err != nil || !r.Anonymised || r.Narrative != "" || !r.Anonymous || len(r.Subjects) != 1 {
			t.Errorf("report after retention = %+v, %v", r, err)
		}
		// The open report is erased on request; the subject keeps its count.
		erased, kept, err := w.svc.EraseReporter(w.as("admin"), "c.tran@example.vn")
		if err != nil || erased != 1 || kept != 0 {
			t.Errorf("EraseReporter = %d, %d, %v; want 1 erased", erased, kept, err)
		}
		if data, _ := w.svc.ExportReporter(w.as("admin"), "c.tran@example.vn"); len(data.Reports) != 0 {
			t.Errorf("after erasure the reporter still has %d reports", len(data.Reports))
		}
		if sb, _ := w.svc.SubjectByValue(w.as("analyst"), fraud.KindPhone, "+84987654321"); sb.ReportCount != 1 {
			t.Errorf("subject count after erasure = %d, want 1", sb.ReportCount)
		}
	})
}

func TestImportCSVAndFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		csv := "\ufeffkind,value,bank,channel,scam_type,amount,narrative\n" +
			"phone,0912 345 678,,call,investment,\"5.000.000\",Lừa đầu tư\n" +
			"phone,abc,,call,,,\n" +
			"account,0011001234567,VCB,transfer,loan,200000,\n" +
			"url,https://u:p@x.example,,website,,,\n" +
			"phone,+84912345678,,sms,,,\n"
		var progress []int
		res, err := w.svc.ImportCSV(w.as("city-analyst"), strings.NewReader(csv), func(n int) { progress = append(progress, n) })
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range res.Rows {
			got = append(got, fmt.Sprintf("%d %v %s", r.Line, r.OK, r.Field))
		}
		if diff := cmp.Diff([]string{"2 true ", "3 false value", "4 true ", "5 false value", "6 true "}, got); diff != "" {
			t.Errorf("import rows (-want +got):\n%s", diff)
		}
		if res.Imported != 3 || res.Failed != 2 || len(progress) != 5 {
			t.Errorf("imported %d, failed %d, progress %v", res.Imported, res.Failed, progress)
		}
		if _, err := w.svc.ImportCSV(w.as("vtl"), strings.NewReader(csv), nil); !errs.Is(err, errs.Forbidden) {
			t.Errorf("ImportCSV by a liaison = %v, want Forbidden", err)
		}
		if _, err := w.svc.ImportCSV(w.as("analyst"), strings.NewReader("a,b\n1,2\n"), nil); errs.FieldOf(err) != "file" {
			t.Errorf("ImportCSV without kind/value = %v", err)
		}
		sb, _ := w.svc.SubjectByValue(w.as("analyst"), fraud.KindPhone, "+84912345678")
		if sb.ReportCount != 2 || sb.AmountTotal != 5_000_000 {
			t.Errorf("imported subject = %+v", sb)
		}
		acc, _ := w.svc.SubjectByValue(w.as("analyst"), fraud.KindAccount, "VCB:0011001234567")
		w.clock.Add(5 * time.Hour)
		if _, err := w.svc.Decide(w.as("analyst"), acc.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: "mule", Action: "hold"}); err != nil {
			t.Fatal(err)
		}
		refs, _, _ := w.svc.ListReferrals(w.as("vcb"), fraud.ReferralFilter{})
		if len(refs) != 1 || refs[0].Action != "hold" {
			t.Fatalf("bank referrals = %+v", refs)
		}
		w.clock.Add(30 * time.Hour)
		if over, n, _ := w.svc.ListReferrals(w.as("analyst"), fraud.ReferralFilter{Overdue: true}); n != 1 || !over[0].Overdue {
			t.Errorf("overdue referrals = %d, want 1", n)
		}
		if _, err := w.svc.AnswerReferral(w.as("vcb"), refs[0].ID, fraud.Answer{Outcome: "held", On: "2026-11-21"}); err != nil {
			t.Fatal(err)
		}
		f, err := w.svc.Figures(w.as("viewer"), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if f.Reports != 3 || f.AmountLost != 5_200_000 || f.Confirmed != 1 || f.MedianHoursConf != 5 || len(f.TopSubjects) != 0 {
			t.Errorf("figures = %+v", f)
		}
		if diff := cmp.Diff([]fraud.KeyCount{{Key: "call", Count: 1, Amount: 5_000_000}, {Key: "sms", Count: 1}, {Key: "transfer", Count: 1, Amount: 200_000}}, f.ByChannel); diff != "" {
			t.Errorf("by channel (-want +got):\n%s", diff)
		}
		if len(f.Partners) != 1 || f.Partners[0].Partner != "VCB" || f.Partners[0].Answered != 1 || f.Partners[0].Outcomes["held"] != 1 || f.Partners[0].MedianHours != 30 {
			t.Errorf("partner figures = %+v", f.Partners)
		}
		if f, _ := w.svc.Year(w.as("analyst"), 2026); f.Reports != 3 || len(f.TopSubjects) != 2 {
			t.Errorf("Year(2026) = %d reports, %d top subjects", f.Reports, len(f.TopSubjects))
		}
	})
}
