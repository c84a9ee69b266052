package decode

import (
	"net/netip"
	"strings"
)

// Names looked up in every Suricata event, hashed once (see fieldName),
// and its alias calls in the order normaliseSuricata makes them.
var (
	nEventModule      = newFieldName(FieldEventModule)
	nEventDataset     = newFieldName(FieldEventDataset)
	nEventCategory    = newFieldName(FieldEventCategory)
	nProto            = newFieldName("proto")
	nEventType        = newFieldName("event_type")
	nDNSType          = newFieldName("dns.type")
	nDNSAnswersRdata  = newFieldName("dns.answers.rdata")
	nDNSRdata         = newFieldName("dns.rdata")
	nDNSQuestion      = newFieldName(FieldDNSQuestion)
	nHTTPHostname     = newFieldName("http.hostname")
	nHTTPURL          = newFieldName("http.url")
	nFileinfoFilename = newFieldName("fileinfo.filename")
	nSMTPMailFrom     = newFieldName("smtp.mail_from")
	nEmailFromRaw     = newFieldName("email.from")
	nEmailFrom        = newFieldName(FieldEmailFrom)
	nSMTPRcptTo       = newFieldName("smtp.rcpt_to")
	nEmailToRaw       = newFieldName("email.to")
	nEmailTo          = newFieldName(FieldEmailTo)

	suricataFlow = newAliasPairs(
		FieldTimestamp, "timestamp",
		FieldSourceIP, "src_ip",
		FieldSourcePort, "src_port",
		FieldDestinationIP, "dest_ip",
		FieldDestinationPort, "dest_port",
	)
	suricataApp = newAliasPairs(
		FieldProtocol, "app_proto",
		FieldHostName, "host",
	)
	// alert.* travels with alert events and with http/dns records that
	// carry a "metadata" alert block.
	suricataAlert = newAliasPairs(
		FieldRuleName, "alert.signature",
		FieldRuleID, "alert.signature_id",
		FieldRuleCategory, "alert.category",
		FieldEventAction, "alert.action",
		FieldLogLevel, "alert.severity",
		FieldMessage, "alert.signature",
	)
	// DNS: EVE v1/v2 put rrname at dns.rrname; v3 (Suricata 7+) has
	// dns.queries[].rrname and dns.answers[].rdata.
	suricataDNS = [...]aliasRule{
		newAliasRule(FieldDNSQuestion, "dns.rrname", "dns.queries.rrname"),
		newAliasRule(FieldDNSQuestionType, "dns.rrtype", "dns.queries.rrtype"),
		newAliasRule(FieldDNSAnswers, "dns.answers.rdata", "dns.rdata"),
	}
	suricataHTTP = newAliasPairs(
		FieldURLDomain, "http.hostname",
		FieldURLOriginal, "http.url",
		FieldHTTPMethod, "http.http_method",
		FieldHTTPStatus, "http.status",
		FieldUserAgent, "http.http_user_agent",
		FieldHTTPReferrer, "http.http_refer",
		FieldHTTPVersion, "http.protocol",
		FieldHTTPBytes, "http.length",
	)
	suricataTLS = newAliasPairs(
		FieldTLSServerName, "tls.sni",
		FieldTLSVersion, "tls.version",
	)
	suricataFileHashes = newAliasPairs(
		FieldFileMD5, "fileinfo.md5",
		FieldFileSHA1, "fileinfo.sha1",
		FieldFileSHA256, "fileinfo.sha256",
	)
	suricataSubject = newFieldName(FieldEmailSubject)
	suricataSubjRaw = newFieldName("email.subject")
)

// normaliseSuricata adds the common fields to a flattened Suricata EVE
// event (event_type alert, dns, http, tls, flow, fileinfo, smtp, ...).
func normaliseSuricata(e *Event) {
	e.format = FormatSuricata
	e.setIfAbsentName(nEventModule, String("suricata"))
	e.aliasAll(suricataFlow)
	if p := e.textName(nProto); p != "" {
		e.setIfAbsentName(nTransport, String(lowerProto(p)))
	}
	e.aliasAll(suricataApp)

	et := e.textName(nEventType)
	e.setIfAbsentName(nEventDataset, String(et))
	switch et {
	case "alert", "anomaly", "drop":
		e.setIfAbsentName(nEventCategory, String("intrusion_detection"))
	case "fileinfo":
		e.setIfAbsentName(nEventCategory, String("file"))
	default:
		e.setIfAbsentName(nEventCategory, String("network"))
	}

	e.aliasAll(suricataAlert)

	for i := range suricataDNS {
		e.apply(&suricataDNS[i])
	}
	if strings.HasPrefix(e.textName(nDNSType), "answer") || e.hasName(nDNSAnswersRdata) || e.hasName(nDNSRdata) {
		resolvedIPs(e)
	}
	if i := e.findName(nDNSQuestion); i >= 0 {
		if v := e.fields[i].Value; v.kind == KindList && len(v.List()) == 1 {
			e.fields[i].Value = v.List()[0]
		}
	}

	// HTTP.
	host, uri := e.textName(nHTTPHostname), e.textName(nHTTPURL)
	e.aliasAll(suricataHTTP)
	if uri != "" {
		urlParts(e, "http", host, e.Text("http.http_port"), uri)
	}

	// TLS.
	e.aliasAll(suricataTLS)

	// Files.
	if fn := e.textName(nFileinfoFilename); fn != "" {
		e.setIfAbsentName(nFilePath, String(fn))
		e.setIfAbsentName(nFileName, String(baseName(fn)))
	}
	e.aliasAll(suricataFileHashes)

	// Mail.
	if from := e.textName(nSMTPMailFrom); from != "" {
		e.setIfAbsentName(nEmailFrom, String(trimAngle(from)))
	} else if v, ok := e.getName(nEmailFromRaw); ok {
		e.setIfAbsentName(nEmailFrom, v)
	}
	if v, ok := e.getName(nSMTPRcptTo); ok {
		e.setIfAbsentName(nEmailTo, mapScalars(v, trimAngle))
	} else if v, ok := e.getName(nEmailToRaw); ok {
		e.setIfAbsentName(nEmailTo, v)
	}
	e.aliasName(suricataSubject, suricataSubjRaw)
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
