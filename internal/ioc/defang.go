package ioc

import "strings"

// Analysts "defang" indicators in reports and feeds so nobody clicks them:
// evil[.]example, hxxps://..., user[@]example[.]com. These helpers undo the
// common forms. They are applied only where a bracket or parenthesis cannot
// be part of a valid value (hosts, e-mail domains), so refanging never
// changes the meaning of a value that was not defanged.

// refangDots replaces every defanged dot in s with ".". It repeats until
// nothing changes so the result never contains a defanged dot, which keeps
// normalisers idempotent even on inputs like "[[.].]".
func refangDots(s string) string {
	if !strings.ContainsAny(s, `[({\`) {
		return s
	}
	// The spellings of "." seen in feeds.
	dotDefangs := [...]string{"[.]", "(.)", "{.}", "[dot]", "(dot)", "{dot}", `\.`}
	for {
		before := s
		for _, d := range dotDefangs {
			if strings.Contains(s, d) {
				s = strings.ReplaceAll(s, d, ".")
			}
		}
		// "[DOT]" and "(Dot)" are common too.
		if strings.ContainsAny(s, "Dd") {
			for _, d := range dotDefangs[3:6] {
				s = replaceFold(s, d, ".")
			}
		}
		if s == before {
			return s
		}
	}
}

// refangAt replaces the defanged forms of "@" used for e-mail addresses.
func refangAt(s string) string {
	if !strings.ContainsAny(s, "[({") {
		return s
	}
	for {
		before := s
		for _, d := range [...]string{"[@]", "(@)", "{@}", "[at]", "(at)", "{at}"} {
			s = replaceFold(s, d, "@")
		}
		if s == before {
			return s
		}
	}
}

// replaceFold is strings.ReplaceAll with an ASCII case-insensitive match of
// old (which must be ASCII).
func replaceFold(s, old, repl string) string {
	i := indexFold(s, old)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		b.WriteString(repl)
		s = s[i+len(old):]
		i = indexFold(s, old)
	}
	b.WriteString(s)
	return b.String()
}

// indexFold is strings.Index with ASCII case folding; old must be ASCII.
func indexFold(s, old string) int {
	n := len(old)
	for i := 0; i+n <= len(s); i++ {
		if strings.EqualFold(s[i:i+n], old) {
			return i
		}
	}
	return -1
}

// refangScheme maps the defanged spellings of http and https ("hxxp",
// "hXXps", "hxtp") to the real ones; any other scheme is returned lower-cased.
func refangScheme(scheme string) string {
	switch s := strings.ToLower(scheme); s {
	case "hxxp", "hxtp", "htxp", "hxp", "h**p", "http":
		return "http"
	case "hxxps", "hxtps", "htxps", "hxps", "h**ps", "https":
		return "https"
	default:
		return s
	}
}
