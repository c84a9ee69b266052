package pdfdoc

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() Doc {
	return Doc{
		IssuerLines: []string{"UBND THÀNH PHỐ BÌNH AN"}, Number: "Số: 12/BC-TPBA", Place: "Bình An",
		Date: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), Title: "BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ",
		Subtitle: "Sự cố SC-2026-0001: Cổng thông tin bị thay đổi giao diện",
		Sections: []Section{
			{Heading: "Thông tin chung", Fields: []Field{{"Đơn vị vận hành", "Trung tâm Chuyển đổi số"}, {"Tên miền", "tpbinhan.gov.vn"}}},
			{Heading: "Kết quả xử lý", Text: strings.Repeat("Đã khôi phục giao diện từ bản sao lưu sạch, vá lỗ hổng plugin. ", 80)},
		},
		SignerTitle: "Chủ tịch", Signer: "Trịnh Hải Yến", Footer: "SC-2026-0001 · TLP:AMBER",
	}
}

func TestWriteKeepsVietnameseText(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF-")) {
		t.Fatalf("output does not start with %%PDF-")
	}
	got := pdfText(t, buf.Bytes())
	for _, want := range []string{"BÁO CÁO KẾT THÚC ỨNG PHÓ SỰ CỐ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Trịnh Hải Yến", "Độc lập - Tự do - Hạnh phúc"} {
		if !strings.Contains(got, want) {
			t.Errorf("pdftotext output lacks %q:\n%s", want, got[:min(len(got), 600)])
		}
	}
}

// pdfText extracts a PDF's text with pdftotext (poppler-utils). Without
// it the test skips, unless BULWARK_TEST_SHARED=required.
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

func TestWriteSurvivesHostileText(t *testing.T) {
	d := sample()
	d.Title = strings.Repeat("\x00\x1b[31m", 100) + "Tiêu đề"
	d.Sections[0].Fields[0].Value = strings.Repeat("ư", maxText+100)
	var buf bytes.Buffer
	if err := Write(&buf, d); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkWrite(b *testing.B) {
	d := sample()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Write(&buf, d); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(buf.Len()), "bytes/doc")
	}
}
