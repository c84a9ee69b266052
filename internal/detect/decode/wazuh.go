package decode

import "strings"

// normaliseWazuh adds the common fields to a Wazuh alert (alerts.json):
// rule.*, agent.*, decoder.*, full_log and the decoder's data.* fields.
// Windows events forwarded by the Wazuh agent (data.win.*) also get the
// bare Windows names, so Windows Sigma rules apply to them.
func normaliseWazuh(e *Event) {
	e.format = FormatWazuh
	e.setIfAbsent(FieldEventModule, String("wazuh"))
	e.alias(FieldTimestamp, "timestamp")
	e.alias(FieldRuleName, "rule.description")
	e.alias(FieldLogLevel, "rule.level")
	e.alias(FieldMessage, "full_log")
	e.aliasFirst(FieldHostName, "agent.name", "predecoder.hostname")
	e.alias(FieldHostIP, "agent.ip")
	e.alias(FieldProcessName, "predecoder.program_name")
	e.alias(FieldEventDataset, "decoder.name")

	e.aliasFirst(FieldSourceIP, "data.srcip", "data.src_ip")
	e.aliasFirst(FieldSourcePort, "data.srcport", "data.src_port")
	e.aliasFirst(FieldDestinationIP, "data.dstip", "data.dest_ip")
	e.aliasFirst(FieldDestinationPort, "data.dstport", "data.dest_port")
	e.aliasFirst(FieldUserName, "data.dstuser", "data.srcuser", "data.user")
	if e.Text("decoder.name") == "web-accesslog" {
		// The web access decoder stores the method in "protocol" and
		// the status in "id".
		e.alias(FieldHTTPMethod, "data.protocol")
		e.alias(FieldHTTPStatus, "data.id")
	} else if p := e.Text("data.protocol"); p != "" {
		e.setIfAbsent(FieldTransport, String(transportName(strings.ToLower(p))))
	}
	if u := e.Text("data.url"); u != "" {
		e.setIfAbsent(FieldURLOriginal, String(u))
		urlParts(e, "http", "", "", u)
	}
	// File integrity monitoring.
	e.alias(FieldFilePath, "syscheck.path")
	if p := e.Text("syscheck.path"); p != "" {
		e.setIfAbsent(FieldFileName, String(baseName(p)))
	}
	e.alias(FieldFileMD5, "syscheck.md5_after")
	e.alias(FieldFileSHA1, "syscheck.sha1_after")
	e.alias(FieldFileSHA256, "syscheck.sha256_after")

	if e.Has("data.win.system.channel") || e.Has("data.win.system.eventID") {
		wazuhWindows(e)
	}
}

// wazuhWindows exposes data.win.eventdata.commandLine as CommandLine and
// so on: the Wazuh agent lower-cases the first letter of EventData names.
func wazuhWindows(e *Event) {
	const data = "data.win.eventdata."
	n := len(e.fields)
	for i := 0; i < n; i++ {
		name := e.fields[i].Name
		if !strings.HasPrefix(name, data) {
			continue
		}
		rest := name[len(data):]
		if rest == "" || strings.ContainsAny(rest, ".#@") {
			continue
		}
		if c := rest[0]; c >= 'a' && c <= 'z' {
			m := e.mark()
			e.buf = append(e.buf, c-('a'-'A'))
			e.buf = append(e.buf, rest[1:]...)
			rest = e.since(m)
		}
		e.keepAbsent(rest, e.fields[i].Value)
	}
	const sys = "data.win.system."
	e.aliasFirst("Channel", sys+"channel")
	e.aliasFirst("EventID", sys+"eventID")
	e.aliasFirst("Provider_Name", sys+"providerName")
	e.aliasFirst("Computer", sys+"computer")
	e.aliasFirst("Level", sys+"level")
	e.aliasFirst("Task", sys+"task")
	e.aliasFirst("Message", sys+"message")
	windowsECS(e)
}
