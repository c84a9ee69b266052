package decode

// MapField translates a field name of a Sigma rule, given the rule's
// logsource, into the name of the decoded event's field, the way Sigma
// processing pipelines do:
//
//   - product windows (and linux, macos): identity, since decoders expose
//     bare EventData names (Image, CommandLine, EventID, Provider_Name);
//   - categories webserver and proxy: the W3C names SigmaHQ uses (c-uri,
//     cs-uri-query, cs-method, c-useragent, cs-host, sc-status, c-ip...)
//     to url.*, http.*, user_agent.original, source.ip;
//   - category firewall: src_ip, dst_ip, src_port, dst_port, action;
//   - category dns: query, answer, record_type;
//   - product zeek: the Zeek names are kept by the decoder, so identity,
//     except the W3C proxy names that some zeek rules use;
//   - anything else: identity.
//
// It never allocates and is safe for concurrent use.
func MapField(product, category, service, field string) string {
	switch category {
	case "webserver", "proxy":
		if to := webField(field); to != "" {
			return to
		}
	case "firewall":
		if to := firewallField(field); to != "" {
			return to
		}
	case "dns":
		if to := dnsField(field); to != "" {
			return to
		}
	}
	if product == "zeek" && service == "http" {
		if to := webField(field); to != "" {
			return to
		}
	}
	return field
}

// FieldMapping returns, as a new map, the non-identity part of MapField
// for a logsource: Sigma field name to event field name. It is for
// documentation and tests; MapField is what the engine calls.
func FieldMapping(product, category, service string) map[string]string {
	m := make(map[string]string)
	for _, f := range sigmaFieldNames() {
		if to := MapField(product, category, service, f); to != f {
			m[f] = to
		}
	}
	return m
}

// sigmaFieldNames lists every field name MapField may translate.
func sigmaFieldNames() []string {
	return []string{
		"c-uri", "c-uri-query", "c-uri-stem", "c-uri-extension", "cs-uri", "cs-uri-query",
		"cs-uri-stem", "cs-method", "cs-host", "cs-referrer", "cs-referer", "c-useragent",
		"cs-user-agent", "sc-status", "c-ip", "cs-username", "r-dns", "dst_ip", "src_ip",
		"cs-content-type", "cs-version", "sc-bytes", "cs-cookie",
		"src_port", "dst_port", "action",
		"query", "answer", "record_type",
	}
}

func webField(f string) string {
	switch f {
	case "c-uri", "cs-uri", "cs-uri-query":
		// SigmaHQ webserver rules use cs-uri-query for the whole request
		// target ("/tmui/login.jsp/..;/"), so it maps to url.original,
		// which contains the query too.
		return FieldURLOriginal
	case "c-uri-query":
		return FieldURLQuery
	case "c-uri-stem", "cs-uri-stem":
		return FieldURLPath
	case "c-uri-extension":
		return "url.extension"
	case "cs-method":
		return FieldHTTPMethod
	case "cs-host", "r-dns":
		return FieldURLDomain
	case "cs-referrer", "cs-referer":
		return FieldHTTPReferrer
	case "c-useragent", "cs-user-agent":
		return FieldUserAgent
	case "sc-status":
		return FieldHTTPStatus
	case "c-ip", "src_ip":
		return FieldSourceIP
	case "dst_ip":
		return FieldDestinationIP
	case "cs-username":
		return FieldUserName
	case "cs-content-type":
		return "http.request.mime_type"
	case "cs-version":
		return FieldHTTPVersion
	case "sc-bytes":
		return FieldHTTPBytes
	case "cs-cookie":
		return "http.request.cookie"
	}
	return ""
}

func firewallField(f string) string {
	switch f {
	case "src_ip":
		return FieldSourceIP
	case "dst_ip":
		return FieldDestinationIP
	case "src_port":
		return FieldSourcePort
	case "dst_port":
		return FieldDestinationPort
	case "action":
		return FieldEventAction
	}
	return ""
}

func dnsField(f string) string {
	switch f {
	case "query":
		return FieldDNSQuestion
	case "answer":
		return FieldDNSAnswers
	case "record_type":
		return FieldDNSQuestionType
	}
	return ""
}
