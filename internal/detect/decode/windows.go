package decode

import (
	"strconv"
	"strings"
)

// Windows event channels that decide a Sigma logsource.
const (
	ChannelSysmon          = "Microsoft-Windows-Sysmon/Operational"
	ChannelSecurity        = "Security"
	ChannelSystem          = "System"
	ChannelPowerShell      = "Microsoft-Windows-PowerShell/Operational"
	ChannelPowerShellCore  = "PowerShellCore/Operational"
	ChannelPowerShellClass = "Windows PowerShell"
)

// windowsLayout returns which Windows layout a flattened event has, or "".
func windowsLayout(e *Event) Format {
	switch {
	case e.Has("Event.System.Channel") || e.Has("Event.System.EventID") || e.Has("Event.System.EventID.#text"):
		return FormatEVTX
	case e.Has("winlog.channel") || e.Has("winlog.event_id"):
		return FormatWinlogbeat
	case e.Has("Channel") && e.Has("EventID"):
		return FormatWindowsFlat
	}
	return ""
}

// normaliseWindows exposes a Windows event's fields under the bare names
// SigmaHQ rules use (Image, CommandLine, Channel, EventID, Provider_Name,
// Computer) whatever the layout, then adds the common fields.
func normaliseWindows(e *Event, layout Format) {
	e.format = layout
	switch layout {
	case FormatEVTX:
		bareEVTX(e)
	case FormatWinlogbeat:
		bareWinlogbeat(e)
	case FormatWindowsFlat:
		e.aliasFirst("Provider_Name", "SourceName", "ProviderName")
		e.aliasFirst("Computer", "Hostname", "host")
		e.aliasFirst(FieldTimestamp, "TimeCreated", "EventTime", "UtcTime")
	}
	if e.Text("EventID") == "4688" && strings.EqualFold(e.Text("Channel"), ChannelSecurity) {
		securityProcessCreation(e)
	}
	windowsECS(e)
}

// securityProcessCreation gives a Security 4688 event ("a new process has
// been created") the Sysmon names that SigmaHQ's process_creation rules
// use, the way Sigma's Windows audit pipelines map them, so those rules
// read the event as they read Sysmon's event 1:
//
//   - Image from NewProcessName, ParentImage from ParentProcessName
//     (CommandLine has the same name in both);
//   - User as DOMAIN\name, Sysmon's form: the new process's account
//     (TargetDomainName, TargetUserName; Windows 10 and later) when it is
//     set, else the creator's (SubjectDomainName, SubjectUserName);
//     LogonId likewise from TargetLogonId or SubjectLogonId;
//   - IntegrityLevel from MandatoryLabel (S-1-16-12288 is High...);
//   - ParentProcessId from ProcessId, which in 4688 is the creator's, in
//     decimal as Sysmon writes it.
//
// Sysmon's ProcessId (the new process) is NewProcessId here; the event's
// own ProcessId keeps its 4688 meaning, so it is not renamed. Fields that
// 4688 does not record (Hashes, OriginalFileName, ParentCommandLine...)
// stay absent, so rules that need them cannot match. Names already present
// are never overwritten.
func securityProcessCreation(e *Event) {
	e.aliasFirst("Image", "NewProcessName")
	e.aliasFirst("ParentImage", "ParentProcessName")
	domain, name, logon := "SubjectDomainName", "SubjectUserName", "SubjectLogonId"
	if u := e.Text("TargetUserName"); u != "" && u != "-" {
		domain, name, logon = "TargetDomainName", "TargetUserName", "TargetLogonId"
	}
	if u := e.Text(name); u != "" && u != "-" && !e.Has("User") {
		if d := e.Text(domain); d != "" && d != "-" {
			u = e.concat(d, "\\", u)
		}
		e.add("User", String(u))
	}
	e.aliasFirst("LogonId", logon)
	if lvl := integrityLevel(e.Text("MandatoryLabel")); lvl != "" {
		e.setIfAbsent("IntegrityLevel", String(lvl))
	}
	if v, ok := e.Get("ProcessId"); ok && !e.Has("ParentProcessId") {
		e.setIfAbsent("ParentProcessId", pidValue(e, v))
	}
}

// integrityLevel names a mandatory label SID the way Sysmon's
// IntegrityLevel does.
func integrityLevel(sid string) string {
	switch strings.ToUpper(sid) {
	case "S-1-16-0":
		return "Untrusted"
	case "S-1-16-4096":
		return "Low"
	case "S-1-16-8192":
		return "Medium"
	case "S-1-16-8448":
		return "MediumPlus"
	case "S-1-16-12288":
		return "High"
	case "S-1-16-16384":
		return "System"
	case "S-1-16-20480":
		return "Protected"
	}
	return ""
}

// bareEVTX handles Event.System.* / Event.EventData.* as written by
// evtx_dump (attributes under "#attributes" or "<name>_attributes") and by
// python-evtx through xmltodict (attributes as "@Name", text as "#text",
// EventData as a Data list that the parser already turned into named
// fields; see jsonParser.pairNamed).
func bareEVTX(e *Event) {
	const data, user = "Event.EventData.", "Event.UserData."
	n := len(e.fields)
	for i := 0; i < n; i++ {
		name, v := e.fields[i].Name, e.fields[i].Value
		switch {
		case strings.HasPrefix(name, data):
			rest := name[len(data):]
			if rest == "Data" || rest == "Data.#text" {
				rest = "Data"
			} else if rest == "" || strings.ContainsAny(rest, ".#@") {
				continue // attributes, odd nesting, an empty key; the full name stays
			}
			e.keepAbsent(rest, v)
		case strings.HasPrefix(name, user):
			// UserData holds one element named after the event; its
			// children are what Sigma calls the fields.
			rest := name[len(user):]
			if j := strings.LastIndexByte(rest, '.'); j >= 0 && j+1 < len(rest) && !strings.ContainsAny(rest[j+1:], "#@") {
				e.keepAbsent(rest[j+1:], v)
			}
		}
	}
	const sys = "Event.System."
	e.aliasFirst("Channel", sys+"Channel")
	e.aliasFirst("EventID", sys+"EventID", sys+"EventID.#text", sys+"EventID.#value")
	e.aliasFirst("Provider_Name", sys+"Provider.#attributes.Name", sys+"Provider_attributes.Name", sys+"Provider.@Name", sys+"Provider.Name")
	e.aliasFirst("Provider_Guid", sys+"Provider.#attributes.Guid", sys+"Provider_attributes.Guid", sys+"Provider.@Guid")
	e.aliasFirst("Computer", sys+"Computer")
	e.aliasFirst("EventRecordID", sys+"EventRecordID")
	for _, f := range [...]string{"Level", "Task", "Opcode", "Keywords", "Version"} {
		e.aliasFirst(f, sys+f, sys+f+".#text")
	}
	e.aliasFirst(FieldTimestamp, sys+"TimeCreated.#attributes.SystemTime", sys+"TimeCreated_attributes.SystemTime", sys+"TimeCreated.@SystemTime")
	e.aliasFirst("ProcessID", sys+"Execution.#attributes.ProcessID", sys+"Execution_attributes.ProcessID", sys+"Execution.@ProcessID")
	e.aliasFirst("UserID", sys+"Security.#attributes.UserID", sys+"Security_attributes.UserID", sys+"Security.@UserID")
}

// bareWinlogbeat handles winlog.event_data.* (Winlogbeat, Elastic Agent).
func bareWinlogbeat(e *Event) {
	const data, user = "winlog.event_data.", "winlog.user_data."
	n := len(e.fields)
	for i := 0; i < n; i++ {
		name := e.fields[i].Name
		var rest string
		switch {
		case strings.HasPrefix(name, data):
			rest = name[len(data):]
		case strings.HasPrefix(name, user):
			rest = name[len(user):]
		default:
			continue
		}
		if rest != "" && !strings.ContainsAny(rest, ".#@") {
			e.keepAbsent(rest, e.fields[i].Value)
		}
	}
	e.aliasFirst("Channel", "winlog.channel")
	e.aliasFirst("EventID", "winlog.event_id", "event.code")
	e.aliasFirst("Provider_Name", "winlog.provider_name", "event.provider")
	e.aliasFirst("Computer", "winlog.computer_name", "host.hostname", "host.name")
	e.aliasFirst("EventRecordID", "winlog.record_id")
	e.aliasFirst("Task", "winlog.task")
	e.aliasFirst("Keywords", "winlog.keywords")
}

// windowsECS adds the common fields from the bare Windows names, for any
// layout (and for Wazuh's data.win.* once made bare).
func windowsECS(e *Event) {
	if v, ok := e.Get("EventID"); ok {
		// EventID is a number whatever the layout (Winlogbeat sends
		// "4688"), so a Sigma "EventID: 4688" compares alike everywhere.
		if v.kind == KindString && isDigits(v.text) {
			e.fields[e.find("EventID")].Value = Number(v.text)
			v = Number(v.text)
		}
		e.setIfAbsent(FieldEventCode, v)
	}
	e.alias(FieldEventProvider, "Provider_Name")
	e.alias(FieldHostName, "Computer")
	e.aliasFirst(FieldMessage, "Message")

	// Process: Sysmon names first, then Security auditing (4688, 4663...).
	e.aliasFirst(FieldProcessExe, "Image", "NewProcessName", "ProcessName", "SourceImage")
	e.aliasFirst(FieldProcessCmdLine, "CommandLine")
	e.aliasFirst(FieldParentExe, "ParentImage", "ParentProcessName")
	e.aliasFirst(FieldParentCmdLine, "ParentCommandLine")
	// In 4688 ProcessId is the creator; NewProcessId is the process.
	if v, ok := e.Get("NewProcessId"); ok {
		e.setIfAbsent(FieldProcessPID, pidValue(e, v))
	} else if v, ok := e.Get("ProcessId"); ok {
		e.setIfAbsent(FieldProcessPID, pidValue(e, v))
	}
	if exe := e.Text(FieldProcessExe); exe != "" {
		e.setIfAbsent(FieldProcessName, String(baseName(exe)))
	}

	// User: Sysmon writes DOMAIN\user; Security has Target*/Subject*.
	for _, f := range [...]string{"User", "TargetUserName", "SubjectUserName", "AccountName"} {
		u := e.Text(f)
		if u == "" || u == "-" {
			continue
		}
		if i := strings.IndexByte(u, '\\'); i >= 0 {
			e.setIfAbsent(FieldUserDomain, String(u[:i]))
			u = u[i+1:]
		} else if f == "TargetUserName" {
			e.alias(FieldUserDomain, "TargetDomainName")
		} else if f == "SubjectUserName" {
			e.alias(FieldUserDomain, "SubjectDomainName")
		}
		e.setIfAbsent(FieldUserName, String(u))
		break
	}

	// Network (Sysmon 3, Security 4624/5156...).
	e.aliasFirst(FieldSourceIP, "SourceIp", "IpAddress", "SourceAddress", "ClientAddress")
	e.aliasFirst(FieldSourcePort, "SourcePort", "IpPort")
	e.aliasFirst(FieldDestinationIP, "DestinationIp", "DestAddress")
	e.aliasFirst(FieldDestinationPort, "DestinationPort", "DestPort")
	e.aliasFirst(FieldDestinationHost, "DestinationHostname")
	if p := e.Text("Protocol"); p != "" && !e.Has(FieldTransport) {
		e.setIfAbsent(FieldTransport, String(transportName(p)))
	}

	// DNS (Sysmon 22, DNS client events).
	e.aliasFirst(FieldDNSQuestion, "QueryName")

	// Files and registry.
	e.aliasFirst(FieldFilePath, "TargetFilename", "ImageLoaded", "ImagePath")
	if !e.Has(FieldFilePath) && e.Text("ObjectType") == "File" {
		e.alias(FieldFilePath, "ObjectName")
	}
	if p := e.Text(FieldFilePath); p != "" {
		e.setIfAbsent(FieldFileName, String(baseName(p)))
	}
	e.aliasFirst(FieldRegistryPath, "TargetObject")
	if h := e.Text("Hashes"); h != "" {
		hashList(e, h)
	} else if h := e.Text("Hash"); h != "" {
		hashList(e, h)
	}
	e.aliasFirst(FieldRuleName, "RuleName")
	e.aliasFirst(FieldEventAction, "EventType")
	e.aliasFirst(FieldTimestamp, "UtcTime", "TimeCreated")
}

// hashList reads Sysmon's "SHA1=...,MD5=...,SHA256=...,IMPHASH=...".
func hashList(e *Event, s string) {
	for s != "" {
		var part string
		part, s, _ = strings.Cut(s, ",")
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			continue
		}
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "MD5":
			e.setIfAbsent(FieldFileMD5, String(v))
		case "SHA1":
			e.setIfAbsent(FieldFileSHA1, String(v))
		case "SHA256":
			e.setIfAbsent(FieldFileSHA256, String(v))
		}
	}
}

// pidValue turns "0x12d8" (Security auditing) into the number 4824, and
// keeps decimal pids as numbers.
func pidValue(e *Event, v Value) Value {
	t := v.text
	if isDigits(t) {
		return Number(t)
	}
	if len(t) > 2 && (t[:2] == "0x" || t[:2] == "0X") {
		if n, err := strconv.ParseUint(t[2:], 16, 64); err == nil {
			m := e.mark()
			e.buf = strconv.AppendUint(e.buf, n, 10)
			return Number(e.since(m))
		}
	}
	return v
}

func transportName(p string) string {
	switch p {
	case "6", "tcp", "TCP":
		return "tcp"
	case "17", "udp", "UDP":
		return "udp"
	case "1", "icmp", "ICMP":
		return "icmp"
	case "58", "ipv6-icmp", "IPv6-ICMP", "ICMPv6":
		return "ipv6-icmp"
	}
	return p
}

// baseName returns the last element of a Windows or Unix path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func isDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
