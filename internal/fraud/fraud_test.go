package fraud_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/fraud"
	"bulwark/internal/store"
	"bulwark/internal/store/storetest"
)

// TestIssueCheck is the issue's check: three citizens report one number
// written three ways; one subject; an analyst confirms; the referral goes
// to the operator's liaison, who answers; the look-up says confirmed in
// any format; a confirmed phishing URL is in the RPZ zone and handed over
// as TLP:CLEAR; a liaison of another operator gets nothing.
func TestIssueCheck(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		var codes []string
		for i, v := range []string{"0912 345 678", "+84912345678", "84-912-345-678"} {
			in := report(phone(v))
			in.Channel = []fraud.Channel{fraud.ChannelCall, fraud.ChannelSMS, fraud.ChannelZalo}[i]
			in.Reporter = fraud.Contact{Name: "Nguyễn Văn A", Phone: "0987 654 32" + string(rune('0'+i))}
			rc, err := w.svc.Submit(ctx, in, "203.0.113."+string(rune('1'+i)))
			if err != nil {
				t.Fatalf("Submit(%q) = %v", v, err)
			}
			codes = append(codes, rc.TrackingCode)
			w.clock.Add(time.Hour)
		}
		queue, total, err := w.svc.Queue(w.as("analyst"), "count", 50, 0)
		if err != nil || total != 1 {
			t.Fatalf("Queue = %d subjects, %v; want 1", total, err)
		}
		sb := queue[0]
		if diff := cmp.Diff(fraud.Subject{Kind: fraud.KindPhone, Value: "+84912345678", Status: fraud.StatusUnverified, ReportCount: 3, AmountTotal: 3_000_000,
			Channels: []fraud.Channel{"call", "sms", "zalo"}}, fraud.Subject{Kind: sb.Kind, Value: sb.Value, Status: sb.Status, ReportCount: sb.ReportCount,
			AmountTotal: sb.AmountTotal, Channels: sb.Channels}); diff != "" {
			t.Errorf("subject (-want +got):\n%s", diff)
		}
		if got := sb.LastReport.Sub(sb.FirstReport); got != 2*time.Hour {
			t.Errorf("last - first report = %v, want 2h", got)
		}
		lk, err := w.svc.Lookup(ctx, "0912.345.678", "198.51.100.1")
		if err != nil || lk.Verdict != fraud.VerdictReported || lk.Reports != 3 {
			t.Errorf("Lookup before confirmation = %+v, %v; want reported 3 times", lk, err)
		}

		// Only verifiers decide.
		if _, err := w.svc.Decide(w.as("city-analyst"), sb.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("Decide by a city analyst = %v, want Forbidden", err)
		}
		if _, err := w.svc.Decide(w.as("analyst"), sb.ID, fraud.Decision{Status: fraud.StatusConfirmed}); errs.FieldOf(err) != "reason" {
			t.Errorf("Decide without reason = %v, want a reason error", err)
		}
		if _, err := w.svc.Decide(w.as("analyst"), sb.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: "Ba phản ánh độc lập, ghi âm cuộc gọi", Action: "suspend_outgoing"}); err != nil {
			t.Fatalf("Decide confirm: %v", err)
		}
		for _, q := range []string{"0912 345 678", "+84912345678", "84-912-345-678", "(+84) 912.345.678"} {
			lk, err := w.svc.Lookup(ctx, q, "198.51.100.1")
			if err != nil || lk.Verdict != fraud.VerdictConfirmed || lk.UpdatedAt == nil {
				t.Errorf("Lookup(%q) = %+v, %v; want confirmed with a date", q, lk, err)
			}
		}
		st, err := w.svc.Status(ctx, codes[1], "192.0.2.200")
		if err != nil || st.Status != fraud.ReportProcessed || st.Confirmed != 1 {
			t.Errorf("Status = %+v, %v; want processed, 1 confirmed", st, err)
		}

		// 091 is VinaPhone: the VNPT liaison gets the referral, Viettel's nothing.
		refs, n, err := w.svc.ListReferrals(w.as("vnpt"), fraud.ReferralFilter{})
		if err != nil || n != 1 || refs[0].Partner != "vinaphone" || refs[0].Action != "suspend_outgoing" || !refs[0].PrefixHint {
			t.Fatalf("VNPT referrals = %+v, %d, %v", refs, n, err)
		}
		ref := refs[0]
		if got := ref.DueAt.Sub(ref.CreatedAt); got != 48*time.Hour {
			t.Errorf("due in %v, want 48h", got)
		}
		if refs, n, err := w.svc.ListReferrals(w.as("vtl"), fraud.ReferralFilter{}); err != nil || n != 0 || len(refs) != 0 {
			t.Errorf("Viettel referrals = %d, %v; want none", n, err)
		}
		if _, err := w.svc.GetReferral(w.as("vtl"), ref.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("GetReferral by Viettel = %v, want NotFound", err)
		}
		if _, err := w.svc.AnswerReferral(w.as("vtl"), ref.ID, fraud.Answer{Outcome: "terminated", On: "2026-11-20"}); !errs.Is(err, errs.NotFound) {
			t.Errorf("AnswerReferral by Viettel = %v, want NotFound", err)
		}
		for _, who := range []string{"vtl", "vcb", "viewer", "city-analyst"} {
			if _, _, err := w.svc.ListSubjects(w.as(who), fraud.SubjectFilter{}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("ListSubjects by %s = %v, want Forbidden", who, err)
			}
			if _, err := w.svc.ReporterContact(w.as(who), 1); !errs.Is(err, errs.Forbidden) {
				t.Errorf("ReporterContact by %s = %v, want Forbidden", who, err)
			}
		}
		if _, err := w.svc.AnswerReferral(w.as("vnpt"), ref.ID, fraud.Answer{Outcome: "warned", On: "2026-11-20"}); errs.FieldOf(err) != "outcome" {
			t.Errorf("bank outcome on a telecom referral = %v, want an outcome error", err)
		}
		if _, err := w.svc.AnswerReferral(w.as("vnpt"), ref.ID, fraud.Answer{Outcome: "not_processed", On: "2026-11-20"}); errs.FieldOf(err) != "note" {
			t.Errorf("not processed without a reason = %v, want a note error", err)
		}
		w.clock.Add(3 * time.Hour)
		got, err := w.svc.AnswerReferral(w.as("vnpt"), ref.ID, fraud.Answer{Outcome: "outgoing_suspended", On: "2026-11-20"})
		if err != nil || got.Outcome != "outgoing_suspended" || got.AnsweredAt == nil || got.Overdue {
			t.Fatalf("AnswerReferral = %+v, %v", got, err)
		}
		if _, err := w.svc.AnswerReferral(w.as("vnpt"), ref.ID, fraud.Answer{Outcome: "terminated", On: "2026-11-20"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("second answer = %v, want Conflict", err)
		}

		// A phishing URL confirmed the same way.
		if _, err := w.svc.Submit(ctx, report(fraud.Identifier{Kind: fraud.KindURL, Value: "hxxps://secure.vietcombank-xacthuc[.]com/login?id=7"}), "203.0.113.9"); err != nil {
			t.Fatal(err)
		}
		dom, err := w.svc.SubjectByValue(w.as("analyst"), fraud.KindDomain, "vietcombank-xacthuc.com")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.svc.Decide(w.as("analyst"), dom.ID, fraud.Decision{Status: fraud.StatusConfirmed, Reason: "Trang giả mạo Vietcombank"}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"domain vietcombank-xacthuc.com CLEAR", "url https://secure.vietcombank-xacthuc.com/login?id=7 CLEAR"}, w.sink.values()); diff != "" {
			t.Errorf("indicators handed to intel (-want +got):\n%s", diff)
		}
		if lk, _ := w.svc.Lookup(ctx, "http://a.b.vietcombank-xacthuc.com/x", "198.51.100.1"); lk.Verdict != fraud.VerdictConfirmed {
			t.Errorf("Lookup of another URL on the site = %+v, want confirmed", lk)
		}
		rpz, err := w.svc.Blocklist(w.as("vtl"), fraud.BlocklistRPZ)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(rpz.Body, []byte("\nvietcombank-xacthuc.com CNAME .\n*.vietcombank-xacthuc.com CNAME .\n")) {
			t.Errorf("RPZ lacks the domain:\n%s", rpz.Body)
		}
		checkZone(t, rpz.Body)
		phones, err := w.svc.Blocklist(w.as("vnpt"), fraud.BlocklistPhones)
		if err != nil || !strings.Contains(string(phones.Body), "+84912345678,3,") {
			t.Errorf("phones CSV = %q, %v", phones.Body, err)
		}
		if _, err := w.svc.Blocklist(w.as("vcb"), fraud.BlocklistPhones); !errs.Is(err, errs.Forbidden) {
			t.Errorf("phones CSV for a bank = %v, want Forbidden", err)
		}
		if _, err := w.svc.Blocklist(w.as("vtl"), fraud.BlocklistAccounts); !errs.Is(err, errs.Forbidden) {
			t.Errorf("accounts CSV for a telecom = %v, want Forbidden", err)
		}

		// Reporter contacts: police analysts only, every view audited.
		c, err := w.svc.ReporterContact(w.as("analyst"), 1)
		if err != nil || c.Name != "Nguyễn Văn A" || c.Phone != "+84987654320" {
			t.Errorf("ReporterContact = %+v, %v", c, err)
		}
		if _, err := w.svc.ReporterContact(w.as("coord"), 1); !errs.Is(err, errs.Forbidden) {
			t.Errorf("ReporterContact by a coordinator = %v, want Forbidden", err)
		}
		rows, _, err := w.log.List(w.as("admin"), audit.Filter{Action: "fraud.reporter.view"})
		if err != nil || len(rows) != 1 {
			t.Errorf("audit rows of reporter views = %d, %v; want 1", len(rows), err)
		}
		denied, _, err := w.log.List(w.as("admin"), audit.Filter{Action: "access.denied"})
		if err != nil || len(denied) == 0 {
			t.Errorf("denials audited = %d, %v; want some", len(denied), err)
		}
	})
}

// checkZone runs BIND's zone checker on the RPZ export when installed.
func checkZone(t *testing.T, zone []byte) {
	t.Helper()
	bin, err := exec.LookPath("named-checkzone")
	if err != nil {
		t.Log("named-checkzone not installed; RPZ syntax not checked by BIND")
		return
	}
	f := filepath.Join(t.TempDir(), "rpz.zone")
	if err := os.WriteFile(f, zone, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, strings.TrimSuffix(fraud.RPZOrigin, "."), f).CombinedOutput()
	if err != nil {
		t.Errorf("named-checkzone: %v\n%s\n%s", err, out, zone)
	}
}
