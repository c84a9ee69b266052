package decode

import (
	"net/netip"
	"strings"
)

// normaliseSuricata adds the common fields to a flattened Suricata EVE
// event (event_type alert, dns, http, tls, flow, fileinfo, smtp, ...).
func normaliseSuricata(e *Event) {
	e.format = FormatSuricata
	e.setIfAbsent(FieldEventModule, String("suricata"))
	e.alias(FieldTimestamp, "timestamp")
	e.alias(FieldSourceIP, "src_ip")
	e.alias(FieldSourcePort, "src_port")
	e.alias(FieldDestinationIP, "dest_ip")
	e.alias(FieldDestinationPort, "dest_port")
	if p := e.Text("proto"); p != "" {
		e.setIfAbsent(FieldTransport, String(lowerProto(p)))
	}
	e.alias(FieldProtocol, "app_proto")
	e.alias(FieldHostName, "host")

	et := e.Text("event_type")
	e.setIfAbsent(FieldEventDataset, String(et))
	switch et {
	case "alert", "anomaly", "drop":
		e.setIfAbsent(FieldEventCategory, String("intrusion_detection"))
	case "fileinfo":
		e.setIfAbsent(FieldEventCategory, String("file"))
	default:
		e.setIfAbsent(FieldEventCategory, String("network"))
	}

	// alert.* travels with alert events and with http/dns records that
	// carry a "metadata" alert block.
	e.alias(FieldRuleName, "alert.signature")
	e.alias(FieldRuleID, "alert.signature_id")
	e.alias(FieldRuleCategory, "alert.category")
	e.alias(FieldEventAction, "alert.action")
	e.alias(FieldLogLevel, "alert.severity")
	e.alias(FieldMessage, "alert.signature")

	// DNS: EVE v1/v2 put rrname at dns.rrname; v3 (Suricata 7+) has
	// dns.queries[].rrname and dns.answers[].rdata.
	e.aliasFirst(FieldDNSQuestion, "dns.rrname", "dns.queries.rrname")
	e.aliasFirst(FieldDNSQuestionType, "dns.rrtype", "dns.queries.rrtype")
	e.aliasFirst(FieldDNSAnswers, "dns.answers.rdata", "dns.rdata")
	if strings.HasPrefix(e.Text("dns.type"), "answer") || e.Has("dns.answers.rdata") || e.Has("dns.rdata") {
		resolvedIPs(e)
	}
	if v, ok := e.Get(FieldDNSQuestion); ok && v.kind == KindList && len(v.List()) == 1 {
		e.fields[e.find(FieldDNSQuestion)].Value = v.List()[0]
	}

	// HTTP.
	host, uri := e.Text("http.hostname"), e.Text("http.url")
	e.alias(FieldURLDomain, "http.hostname")
	e.alias(FieldURLOriginal, "http.url")
	e.alias(FieldHTTPMethod, "http.http_method")
	e.alias(FieldHTTPStatus, "http.status")
	e.alias(FieldUserAgent, "http.http_user_agent")
	e.alias(FieldHTTPReferrer, "http.http_refer")
	e.alias(FieldHTTPVersion, "http.protocol")
	e.alias(FieldHTTPBytes, "http.length")
	if uri != "" {
		urlParts(e, "http", host, e.Text("http.http_port"), uri)
	}

	// TLS.
	e.alias(FieldTLSServerName, "tls.sni")
	e.alias(FieldTLSVersion, "tls.version")

	// Files.
	if fn := e.Text("fileinfo.filename"); fn != "" {
		e.setIfAbsent(FieldFilePath, String(fn))
		e.setIfAbsent(FieldFileName, String(baseName(fn)))
	}
	e.alias(FieldFileMD5, "fileinfo.md5")
	e.alias(FieldFileSHA1, "fileinfo.sha1")
	e.alias(FieldFileSHA256, "fileinfo.sha256")

	// Mail.
	if from := e.Text("smtp.mail_from"); from != "" {
		e.setIfAbsent(FieldEmailFrom, String(trimAngle(from)))
	} else if v, ok := e.Get("email.from"); ok {
		e.setIfAbsent(FieldEmailFrom, v)
	}
	if v, ok := e.Get("smtp.rcpt_to"); ok {
		e.setIfAbsent(FieldEmailTo, mapScalars(v, trimAngle))
	} else if v, ok := e.Get("email.to"); ok {
		e.setIfAbsent(FieldEmailTo, v)
	}
	e.alias(FieldEmailSubject, "email.subject")
}

// resolvedIPs copies the addresses among the DNS answers to
// dns.resolved_ip, for IP indicator matching.
func resolvedIPs(e *Event) {
	v, ok := e.Get(FieldDNSAnswers)
	if !ok {
		return
	}
	var ips []Value
	for x := range v.Scalars() {
		if _, err := netip.ParseAddr(x.text); err == nil {
			ips = append(ips, x)
		}
	}
	if len(ips) > 0 {
		e.setIfAbsent(FieldDNSResolvedIP, List(ips...))
	}
}

// urlParts fills url.path, url.query and url.full from a request target
// (origin form "/a?b" or absolute form "http://h/a") and the Host.
func urlParts(e *Event, scheme, host, port, target string) {
	if i := strings.Index(target, "://"); i > 0 && i < 10 {
		// Absolute form (proxies): it is the full URL already.
		e.setIfAbsent(FieldURLFull, String(target))
		rest := target[i+3:]
		j := strings.IndexAny(rest, "/?#")
		if j < 0 {
			e.setIfAbsent(FieldURLDomain, String(hostOnly(rest)))
			return
		}
		e.setIfAbsent(FieldURLDomain, String(hostOnly(rest[:j])))
		target = rest[j:]
	} else if host != "" && strings.HasPrefix(target, "/") {
		if port != "" && port != "80" && !strings.Contains(host, ":") {
			e.setIfAbsent(FieldURLFull, String(e.concat(scheme, "://", host, ":", port, target)))
		} else {
			e.setIfAbsent(FieldURLFull, String(e.concat(scheme, "://", host, target)))
		}
	}
	path, query, _ := strings.Cut(target, "?")
	if i := strings.IndexByte(query, '#'); i >= 0 {
		query = query[:i]
	}
	e.setIfAbsent(FieldURLPath, String(path))
	e.setIfAbsent(FieldURLQuery, String(query))
	last := path[strings.LastIndexByte(path, '/')+1:]
	if i := strings.LastIndexByte(last, '.'); i >= 0 && i+1 < len(last) {
		e.setIfAbsent("url.extension", String(last[i+1:]))
	}
}

// hostOnly drops user info and port from an authority.
func hostOnly(a string) string {
	if i := strings.LastIndexByte(a, '@'); i >= 0 {
		a = a[i+1:]
	}
	if strings.HasPrefix(a, "[") {
		if i := strings.IndexByte(a, ']'); i > 0 {
			return a[1:i]
		}
		return a
	}
	if i := strings.LastIndexByte(a, ':'); i >= 0 && strings.Count(a, ":") == 1 {
		return a[:i]
	}
	return a
}

func lowerProto(p string) string {
	switch p {
	case "TCP":
		return "tcp"
	case "UDP":
		return "udp"
	case "ICMP":
		return "icmp"
	case "IPv6-ICMP":
		return "ipv6-icmp"
	case "SCTP":
		return "sctp"
	}
	return p
}

func trimAngle(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '<' && s[len(s)-1] == '>' {
		return s[1 : len(s)-1]
	}
	return s
}

// mapScalars applies f to the text of a string or of each string in a list.
func mapScalars(v Value, f func(string) string) Value {
	switch v.kind {
	case KindString:
		return String(f(v.text))
	case KindList:
		out := make([]Value, 0, len(v.List()))
		for _, x := range v.List() {
			if x.kind == KindString {
				x = String(f(x.text))
			}
			out = append(out, x)
		}
		return List(out...)
	}
	return v
}
