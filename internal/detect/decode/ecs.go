package decode

// Common field names, after the Elastic Common Schema. Every decoder fills
// what its source carries; the source's own names stay beside them.
const (
	FieldTimestamp        = "@timestamp" // the source's own time text, unparsed (see ParseTime)
	FieldMessage          = "message"
	FieldSourceIP         = "source.ip"
	FieldSourcePort       = "source.port"
	FieldDestinationIP    = "destination.ip"
	FieldDestinationPort  = "destination.port"
	FieldDestinationHost  = "destination.domain"
	FieldTransport        = "network.transport" // lower case: tcp, udp, icmp
	FieldProtocol         = "network.protocol"  // application protocol: dns, http, tls...
	FieldDNSQuestion      = "dns.question.name"
	FieldDNSQuestionType  = "dns.question.type"
	FieldDNSAnswers       = "dns.answers.data" // list: names and addresses
	FieldDNSResolvedIP    = "dns.resolved_ip"  // list: only the addresses among the answers
	FieldURLFull          = "url.full"         // scheme://host/path?query, built when the parts are known
	FieldURLOriginal      = "url.original"     // the URL or request target as the source wrote it
	FieldURLDomain        = "url.domain"
	FieldURLPath          = "url.path"
	FieldURLQuery         = "url.query"
	FieldHTTPMethod       = "http.request.method"
	FieldHTTPStatus       = "http.response.status_code"
	FieldHTTPReferrer     = "http.request.referrer"
	FieldHTTPVersion      = "http.version"
	FieldHTTPBytes        = "http.response.body.bytes"
	FieldUserAgent        = "user_agent.original"
	FieldFileName         = "file.name"
	FieldFilePath         = "file.path"
	FieldFileMD5          = "file.hash.md5"
	FieldFileSHA1         = "file.hash.sha1"
	FieldFileSHA256       = "file.hash.sha256"
	FieldUserName         = "user.name"
	FieldUserDomain       = "user.domain"
	FieldProcessExe       = "process.executable"
	FieldProcessName      = "process.name"
	FieldProcessCmdLine   = "process.command_line"
	FieldProcessPID       = "process.pid"
	FieldParentExe        = "process.parent.executable"
	FieldParentCmdLine    = "process.parent.command_line"
	FieldEventCode        = "event.code"
	FieldEventAction      = "event.action"
	FieldEventCategory    = "event.category"
	FieldEventDataset     = "event.dataset"
	FieldEventModule      = "event.module"
	FieldEventProvider    = "event.provider"
	FieldHostName         = "host.name"
	FieldHostIP           = "host.ip"
	FieldEmailFrom        = "email.from.address"
	FieldEmailTo          = "email.to.address"
	FieldEmailSubject     = "email.subject"
	FieldTLSServerName    = "tls.client.server_name" // SNI; ECS's name for it
	FieldTLSVersion       = "tls.version"
	FieldRuleName         = "rule.name"
	FieldRuleID           = "rule.id"
	FieldRuleCategory     = "rule.category"
	FieldLogLevel         = "log.level"
	FieldRegistryPath     = "registry.path"
	FieldSyslogPriority   = "log.syslog.priority"
	FieldSyslogFacility   = "log.syslog.facility.code"
	FieldSyslogSeverity   = "log.syslog.severity.code"
	FieldSyslogAppName    = "log.syslog.appname"
	FieldSyslogMsgID      = "log.syslog.msgid"
	FieldSyslogStructured = "log.syslog.structured_data" // prefix: log.syslog.structured_data.<SD-ID>.<param>
	// FieldSourceToken is where a sender's source token travels when it
	// comes in RFC 5424 structured data (SD-ID bulwark@32473, param
	// token). It is a secret: the listener reads it and then Deletes it.
	FieldSourceToken = FieldSyslogStructured + "." + SourceTokenSDID + ".token"
)

// SourceTokenSDID is the RFC 5424 SD-ID (under our private enterprise
// number convention) whose "token" parameter authenticates a sender.
const SourceTokenSDID = "bulwark@32473"

// IndicatorType is a kind of indicator the matcher looks up in events.
type IndicatorType string

// Indicator types that appear in decoded events.
const (
	IndicatorIP     IndicatorType = "ip"
	IndicatorDomain IndicatorType = "domain"
	IndicatorURL    IndicatorType = "url"
	IndicatorHash   IndicatorType = "hash"
	IndicatorEmail  IndicatorType = "email"
)

// IndicatorTypes returns every IndicatorType, in a fixed order.
func IndicatorTypes() []IndicatorType {
	return []IndicatorType{IndicatorIP, IndicatorDomain, IndicatorURL, IndicatorHash, IndicatorEmail}
}

// IndicatorFields returns the common field names that can carry an
// indicator of type t, as a new slice (nil for an unknown type). Values
// are as the source wrote them: the matcher normalises (lower-cases hashes
// and domains, strips a trailing dot, parses addresses). Fields may hold
// lists (dns.resolved_ip, email.to.address). Hashes of a process image
// (Sysmon Hashes) are in the file.hash.* fields.
func IndicatorFields(t IndicatorType) []string {
	switch t {
	case IndicatorIP:
		return []string{FieldSourceIP, FieldDestinationIP, FieldDNSResolvedIP, FieldHostIP}
	case IndicatorDomain:
		return []string{FieldDNSQuestion, FieldURLDomain, FieldTLSServerName, FieldDestinationHost}
	case IndicatorURL:
		return []string{FieldURLFull, FieldURLOriginal}
	case IndicatorHash:
		return []string{FieldFileMD5, FieldFileSHA1, FieldFileSHA256}
	case IndicatorEmail:
		return []string{FieldEmailFrom, FieldEmailTo}
	}
	return nil
}
