package decode

import "strings"

// parseKV adds the key=value pairs of a free-text message as fields, unless
// a field of that name exists. A key starts a word (after a space, tab,
// comma, semicolon or pipe), begins with a letter or underscore and holds
// letters, digits, '_', '.' and '-'. A value is "double quoted" (\" and \\
// escapes), 'single quoted', or runs to the next white space; a bare value
// loses one trailing comma or semicolon ("a=1, b=2"). At most max pairs
// are taken, so a hostile message cannot blow up an event.
func parseKV(e *Event, s string, max int) {
	n := 0
	for i := 0; i < len(s) && n < max; {
		// Find the start of a key.
		if !isKeyStart(s[i]) || (i > 0 && !isKVSep(s[i-1])) {
			i++
			continue
		}
		j := i + 1
		for j < len(s) && j-i < 64 && isKeyChar(s[j]) {
			j++
		}
		if j >= len(s) || s[j] != '=' {
			i = j
			continue
		}
		key := s[i:j]
		j++ // '='
		var val string
		if j < len(s) && (s[j] == '"' || s[j] == '\'') {
			q := s[j]
			k := j + 1
			escaped := false
			for k < len(s) && s[k] != q {
				if s[k] == '\\' && q == '"' && k+1 < len(s) {
					escaped = true
					k++
				}
				k++
			}
			if k >= len(s) {
				// Unterminated quote: take the rest as a bare value.
				val = s[j:]
				j = len(s)
			} else {
				val = s[j+1 : k]
				if escaped {
					val = unescapeKV(e, val)
				}
				j = k + 1
			}
		} else {
			k := j
			for k < len(s) && s[k] != ' ' && s[k] != '\t' {
				k++
			}
			val = strings.TrimRight(s[j:k], ",;")
			j = k
		}
		if !strings.HasPrefix(key, "log.syslog.") {
			e.keepAbsent(key, String(val))
		}
		n++
		i = j
	}
}

func isKeyStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isKeyChar(c byte) bool {
	return isKeyStart(c) || c >= '0' && c <= '9' || c == '.' || c == '-'
}

func isKVSep(c byte) bool {
	return c == ' ' || c == '\t' || c == ',' || c == ';' || c == '|' || c == ':' || c == '['
}

// unescapeKV resolves \" and \\ in a double-quoted value; other
// backslashes stay (Windows paths in messages are common).
func unescapeKV(e *Event, s string) string {
	m := e.mark()
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
			i++
		}
		e.buf = append(e.buf, s[i])
	}
	return e.since(m)
}

// kvECS adds the common fields for the key names firewalls and network
// devices use (iptables SRC/DST/SPT/DPT, FortiGate srcip/dstip, Cisco and
// generic src_ip/dst_ip).
func kvECS(e *Event) {
	e.aliasFirst(FieldSourceIP, "src_ip", "srcip", "src", "SRC", "source_ip", "client_ip", "clientip")
	e.aliasFirst(FieldDestinationIP, "dst_ip", "dstip", "dst", "DST", "dest_ip", "destination_ip")
	numAlias(e, FieldSourcePort, "src_port", "srcport", "spt", "SPT", "sport")
	numAlias(e, FieldDestinationPort, "dst_port", "dstport", "dpt", "DPT", "dport", "dest_port")
	for _, k := range [...]string{"proto", "PROTO", "protocol"} {
		if p := e.Text(k); p != "" {
			e.setIfAbsent(FieldTransport, String(transportName(lowerProto(p))))
			break
		}
	}
	e.aliasFirst(FieldUserName, "user", "usr", "username", "suser", "duser", "dstuser", "srcuser")
	e.aliasFirst(FieldEventAction, "action", "act")
	e.aliasFirst(FieldURLOriginal, "url", "request")
	e.aliasFirst(FieldDNSQuestion, "qname", "query")
	e.aliasFirst(FieldURLDomain, "hostname", "dhost")
	e.aliasFirst(FieldHTTPMethod, "method", "requestMethod")
	e.aliasFirst(FieldUserAgent, "useragent", "user_agent", "requestClientApplication")
	e.aliasFirst(FieldFileName, "filename", "fname")
	e.aliasFirst(FieldFileMD5, "md5", "filemd5")
	e.aliasFirst(FieldFileSHA1, "sha1", "filesha1")
	e.aliasFirst(FieldFileSHA256, "sha256", "filesha256")
	// Mail servers (postfix: from=<a@b>, to=<c@d>); only values that look
	// like addresses, since "from" and "to" mean other things elsewhere.
	for _, k := range [...]string{"from", "sender"} {
		if v := trimAngle(e.Text(k)); strings.Contains(v, "@") {
			e.setIfAbsent(FieldEmailFrom, String(v))
			break
		}
	}
	for _, k := range [...]string{"to", "recipient"} {
		if v := trimAngle(e.Text(k)); strings.Contains(v, "@") {
			e.setIfAbsent(FieldEmailTo, String(v))
			break
		}
	}
	e.aliasFirst(FieldRuleName, "attack", "signature", "rule")
}

// numAlias sets to from the first present key, as a number when it is one.
func numAlias(e *Event, to string, froms ...string) {
	if e.Has(to) {
		return
	}
	for _, f := range froms {
		v, ok := e.Get(f)
		if !ok || v.text == "" {
			continue
		}
		if v.kind == KindString && isDigits(v.text) {
			v = Number(v.text)
		}
		e.add(to, v)
		return
	}
}
