package decode

// ZeekLogType returns the Zeek log an event comes from ("dns", "conn",
// "http", ...): the "_path" field, or a guess from the fields when the
// writer left it out; "" when unknown.
func ZeekLogType(e *Event) string {
	if p := e.Text("_path"); p != "" {
		return p
	}
	switch {
	case e.Has("query") && (e.Has("qtype_name") || e.Has("trans_id")):
		return "dns"
	case e.Has("method") && (e.Has("uri") || e.Has("host")):
		return "http"
	case e.Has("conn_state") || e.Has("history") && e.Has("orig_bytes"):
		return "conn"
	case e.Has("ssl_history") || e.Has("server_name") && e.Has("cipher"):
		return "ssl"
	case e.Has("certificate.serial"):
		return "x509"
	case e.Has("mailfrom") || e.Has("helo"):
		return "smtp"
	case e.Has("note"):
		return "notice"
	case e.Has("server_nb_computer_name") || e.Has("server_dns_computer_name"):
		return "ntlm"
	case e.Has("name") && e.Has("peer") && e.Has("notice"):
		return "weird"
	case e.Has("fuid") && (e.Has("mime_type") || e.Has("sha1") || e.Has("md5")):
		return "files"
	}
	return ""
}

// normaliseZeek adds the common fields to a Zeek JSON log entry. The Zeek
// names stay: SigmaHQ's zeek rules use them (query, id.orig_h, uri).
func normaliseZeek(e *Event) {
	e.format = FormatZeek
	lt := ZeekLogType(e)
	e.setIfAbsent(FieldEventModule, String("zeek"))
	if lt != "" {
		e.setIfAbsent(FieldEventDataset, String(zeekDataset(e, lt)))
	}
	e.alias(FieldTimestamp, "ts")
	e.alias(FieldSourceIP, "id.orig_h")
	e.alias(FieldSourcePort, "id.orig_p")
	e.alias(FieldDestinationIP, "id.resp_h")
	e.alias(FieldDestinationPort, "id.resp_p")
	if p := e.Text("proto"); p != "" {
		e.setIfAbsent(FieldTransport, String(transportName(p)))
	}
	switch lt {
	case "conn":
		e.alias(FieldProtocol, "service")
		e.alias(FieldEventAction, "conn_state")
		e.setIfAbsent(FieldEventCategory, String("network"))
	case "dns":
		e.setIfAbsent(FieldProtocol, String("dns"))
		e.alias(FieldDNSQuestion, "query")
		e.alias(FieldDNSQuestionType, "qtype_name")
		e.alias("dns.response_code", "rcode_name")
		e.alias(FieldDNSAnswers, "answers")
		resolvedIPs(e)
		e.setIfAbsent(FieldEventCategory, String("network"))
	case "http":
		e.setIfAbsent(FieldProtocol, String("http"))
		host, uri := e.Text("host"), e.Text("uri")
		e.alias(FieldURLDomain, "host")
		e.alias(FieldURLOriginal, "uri")
		e.alias(FieldHTTPMethod, "method")
		e.alias(FieldHTTPStatus, "status_code")
		e.alias(FieldUserAgent, "user_agent")
		e.alias(FieldHTTPReferrer, "referrer")
		e.alias(FieldHTTPVersion, "version")
		e.alias(FieldHTTPBytes, "response_body_len")
		e.alias(FieldUserName, "username")
		if uri != "" {
			urlParts(e, "http", host, e.Text("id.resp_p"), uri)
		}
		e.setIfAbsent(FieldEventCategory, String("network"))
	case "ssl":
		e.setIfAbsent(FieldProtocol, String("tls"))
		e.alias(FieldTLSServerName, "server_name")
		e.alias(FieldTLSVersion, "version")
		e.alias("tls.server.subject", "subject")
		e.alias("tls.server.issuer", "issuer")
		e.alias("tls.client.ja3", "ja3")
		e.alias("tls.server.ja3s", "ja3s")
		e.setIfAbsent(FieldEventCategory, String("network"))
	case "x509":
		e.alias("x509.serial_number", "certificate.serial")
		e.alias("x509.subject.distinguished_name", "certificate.subject")
		e.alias("x509.issuer.distinguished_name", "certificate.issuer")
		e.alias("x509.alternative_names", "san.dns")
	case "smtp":
		e.setIfAbsent(FieldProtocol, String("smtp"))
		if v, ok := e.Get("mailfrom"); ok {
			e.setIfAbsent(FieldEmailFrom, mapScalars(v, trimAngle))
		}
		if v, ok := e.Get("rcptto"); ok {
			e.setIfAbsent(FieldEmailTo, mapScalars(v, trimAngle))
		}
		e.alias(FieldEmailSubject, "subject")
		e.setIfAbsent(FieldEventCategory, String("email"))
	case "notice":
		e.alias(FieldRuleName, "note")
		e.alias(FieldMessage, "msg")
		e.alias(FieldSourceIP, "src")
		e.alias(FieldDestinationIP, "dst")
		e.alias(FieldDestinationPort, "p")
		e.setIfAbsent(FieldEventCategory, String("intrusion_detection"))
	case "weird":
		e.alias(FieldRuleName, "name")
		e.alias(FieldEventAction, "name")
	case "ntlm":
		e.alias(FieldUserName, "username")
		e.alias(FieldUserDomain, "domainname")
		e.alias(FieldDestinationHost, "server_dns_computer_name")
		e.setIfAbsent(FieldEventCategory, String("authentication"))
	case "files":
		e.alias(FieldFileName, "filename")
		e.alias(FieldFileMD5, "md5")
		e.alias(FieldFileSHA1, "sha1")
		e.alias(FieldFileSHA256, "sha256")
		e.setIfAbsent(FieldEventCategory, String("file"))
	case "kerberos":
		e.alias(FieldUserName, "client")
		e.setIfAbsent(FieldEventCategory, String("authentication"))
	}
}

// zeekDataset returns "zeek.<log>", without allocating for the usual logs.
func zeekDataset(e *Event, lt string) string {
	switch lt {
	case "conn":
		return "zeek.conn"
	case "dns":
		return "zeek.dns"
	case "http":
		return "zeek.http"
	case "ssl":
		return "zeek.ssl"
	case "x509":
		return "zeek.x509"
	case "smtp":
		return "zeek.smtp"
	case "notice":
		return "zeek.notice"
	case "weird":
		return "zeek.weird"
	case "ntlm":
		return "zeek.ntlm"
	case "files":
		return "zeek.files"
	}
	return e.concat("zeek.", lt)
}
