package detect

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"bulwark/internal/detect/decode"
	"bulwark/internal/sharedtest"
	"bulwark/internal/sigma"
)

// referenceTexts is what the keyword prefilter builds from Values without
// the TextEvent shortcut.
func referenceTexts(ev sigma.Event) []byte {
	var dst []byte
	var add func(v sigma.Value)
	add = func(v sigma.Value) {
		switch v.Kind {
		case sigma.KindNull:
		case sigma.KindList:
			for _, e := range v.List {
				add(e)
			}
		default:
			dst = sigma.AppendText(dst, v)
			dst = append(dst, 0)
		}
	}
	ev.Values(func(v sigma.Value) bool { add(v); return true })
	return dst
}

func checkTexts(t *testing.T, d decode.Decoder, line []byte, must bool) {
	t.Helper()
	ev, err := d.Decode(line)
	if err != nil {
		if must {
			t.Fatalf("%s: %v", line, err)
		}
		return
	}
	se := sigmaEvent{&ev}
	if got, want := textSet(se.AppendTexts(nil)), textSet(referenceTexts(se)); !slices.Equal(got, want) {
		t.Fatalf("%s:\nAppendTexts %q\nValues      %q", line, got, want)
	}
}

// textSet returns the distinct NUL-terminated texts of b, sorted.
func textSet(b []byte) []string {
	if len(b) > 0 && b[len(b)-1] != 0 {
		return []string{"missing final NUL"}
	}
	var out []string
	for _, t := range bytes.Split(b, []byte{0}) {
		out = append(out, string(t))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestAppendTextsMatchesValues checks the keyword prefilter's shortcut
// against the texts of the sigma.Values on awkward numbers, lists and
// nulls, and on every OTRF line.
func TestAppendTextsMatchesValues(t *testing.T) {
	auto := decode.NewAutoDecoder(decode.Options{})
	win := decode.NewWindowsDecoder(decode.Options{})
	for _, line := range []string{
		`{"a":1,"b":-1,"c":0,"d":-0,"e":0,"f":1.50,"g":1e3,"h":-2.5e-3,"i":123456789012345,"j":1234567890123456,"k":12345678901234567890123}`,
		`{"a":"x","b":true,"c":false,"d":null,"e":[1,"two",null,true,[3.0,"four"]],"f":[],"g":{"h":[null]}}`,
		`{"EventID":4688,"Channel":"Security","NewProcessName":"C:\\Windows\\cmd.exe","ProcessId":"0x1f","Message":"a\u00e9b"}`,
		`{"n":-12345678901234,"m":-0.0,"o":1E2}`,
	} {
		checkTexts(t, auto, []byte(line), true)
		checkTexts(t, win, []byte(line), true)
	}
	dir := sharedtest.Dir(t, "otrf-security-datasets")
	zips, _ := filepath.Glob(filepath.Join(dir, "*.zip"))
	if len(zips) == 0 {
		t.Fatal("no OTRF recordings")
	}
	lines := 0
	for _, z := range zips {
		zr, err := zip.OpenReader(z)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range zr.File {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 16<<20)
			for sc.Scan() {
				checkTexts(t, win, sc.Bytes(), false)
				lines++
			}
		}
		zr.Close()
	}
	if lines < 10000 {
		t.Fatalf("only %d OTRF lines read", lines)
	}
}

// FuzzAppendTexts checks the keyword prefilter's shortcut on any JSON
// event: the same texts as the sigma.Values.
func FuzzAppendTexts(f *testing.F) {
	f.Add(`{"a":1.50,"b":[1,"x",null,true],"c":"` + strings.Repeat("long text ", 4) + `","d":"` + strings.Repeat("long text ", 4) + `"}`)
	f.Add(`{"EventID":"4688","Channel":"Security","NewProcessName":"C:\\Windows\\cmd.exe","Message":"` + strings.Repeat("m", 40) + `"}`)
	f.Add(`{"n":-0,"m":1e400,"o":123456789012345678}`)
	auto := decode.NewAutoDecoder(decode.Options{})
	win := decode.NewWindowsDecoder(decode.Options{})
	f.Fuzz(func(t *testing.T, in string) {
		checkTexts(t, auto, []byte(in), false)
		checkTexts(t, win, []byte(in), false)
	})
}
