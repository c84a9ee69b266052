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

// Names looked up in every Windows event, hashed once (see fieldName).
var (
	nEvtxChannel      = newFieldName("Event.System.Channel")
	nEvtxEventID      = newFieldName("Event.System.EventID")
	nEvtxEventIDText  = newFieldName("Event.System.EventID.#text")
	nWinlogChannel    = newFieldName("winlog.channel")
	nWinlogEventID    = newFieldName("winlog.event_id")
	nChannel          = newFieldName("Channel")
	nEventID          = newFieldName("EventID")
	nUser             = newFieldName("User")
	nTargetUserName   = newFieldName("TargetUserName")
	nMandatoryLabel   = newFieldName("MandatoryLabel")
	nIntegrityLevel   = newFieldName("IntegrityLevel")
	nProcessID        = newFieldName("ProcessId")
	nNewProcessID     = newFieldName("NewProcessId")
	nParentProcessID  = newFieldName("ParentProcessId")
	nEventCode        = newFieldName(FieldEventCode)
	nEventProvider    = newFieldName(FieldEventProvider)
	nProviderName     = newFieldName("Provider_Name")
	nHostName         = newFieldName(FieldHostName)
	nComputer         = newFieldName("Computer")
	nProcessPID       = newFieldName(FieldProcessPID)
	nProcessExe       = newFieldName(FieldProcessExe)
	nProcessName      = newFieldName(FieldProcessName)
	nUserDomain       = newFieldName(FieldUserDomain)
	nUserName         = newFieldName(FieldUserName)
	nTargetDomainName = newFieldName("TargetDomainName")
	nSubjectDomain    = newFieldName("SubjectDomainName")
	nProtocol         = newFieldName("Protocol")
	nTransport        = newFieldName(FieldTransport)
	nFilePath         = newFieldName(FieldFilePath)
	nFileName         = newFieldName(FieldFileName)
	nObjectType       = newFieldName("ObjectType")
	nObjectName       = newFieldName("ObjectName")
	nHashes           = newFieldName("Hashes")
	nHash             = newFieldName("Hash")
	nFileMD5          = newFieldName(FieldFileMD5)
	nFileSHA1         = newFieldName(FieldFileSHA1)
	nFileSHA256       = newFieldName(FieldFileSHA256)
	// windowsUsers are the fields windowsECS takes the user from, in order.
	windowsUsers = newFieldNames("User", "TargetUserName", "SubjectUserName", "AccountName")
)

// windowsLayout returns which Windows layout a flattened event has, or "".
func windowsLayout(e *Event) Format {
	switch {
	case e.hasName(nEvtxChannel) || e.hasName(nEvtxEventID) || e.hasName(nEvtxEventIDText):
		return FormatEVTX
	case e.hasName(nWinlogChannel) || e.hasName(nWinlogEventID):
		return FormatWinlogbeat
	case e.hasName(nChannel) && e.hasName(nEventID):
		return FormatWindowsFlat
	}
	return ""
}

var flatAliases = [...]aliasRule{
	newAliasRule("Provider_Name", "SourceName", "ProviderName"),
	newAliasRule("Computer", "Hostname", "host"),
	newAliasRule(FieldTimestamp, "TimeCreated", "EventTime", "UtcTime"),
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
		for i := range flatAliases {
			e.apply(&flatAliases[i])
		}
	}
	if e.textName(nEventID) == "4688" && strings.EqualFold(e.textName(nChannel), ChannelSecurity) {
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
	e.apply(&a4688Image)
	e.apply(&a4688ParentImage)
	domain, name, logon := "SubjectDomainName", "SubjectUserName", "SubjectLogonId"
	if u := e.textName(nTargetUserName); u != "" && u != "-" {
		domain, name, logon = "TargetDomainName", "TargetUserName", "TargetLogonId"
	}
	if u := e.Text(name); u != "" && u != "-" && !e.hasName(nUser) {
		if d := e.Text(domain); d != "" && d != "-" {
			u = e.concat(d, "\\", u)
		}
		e.addName(nUser, String(u))
	}
	e.aliasFirst("LogonId", logon)
	if lvl := integrityLevel(e.textName(nMandatoryLabel)); lvl != "" {
		e.setIfAbsentName(nIntegrityLevel, String(lvl))
	}
	if v, ok := e.getName(nProcessID); ok && !e.hasName(nParentProcessID) {
		e.setIfAbsentName(nParentProcessID, pidValue(e, v))
	}
}

var (
	a4688Image       = newAliasRule("Image", "NewProcessName")
	a4688ParentImage = newAliasRule("ParentImage", "ParentProcessName")
)

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
// fields; see jsonParser.pairNamed). A data name with spaces is also
// given without them, the name Sigma rules use.
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
			if strings.IndexByte(rest, ' ') >= 0 {
				// Windows Defender names its data "Threat Name",
				// "Process Name"...; Sigma rules write ThreatName.
				if bare := strings.ReplaceAll(rest, " ", ""); bare != "" { // not for a name of spaces only
					e.keepAbsent(bare, v)
				}
			}
		case strings.HasPrefix(name, user):
			// UserData holds one element named after the event; its
			// children are what Sigma calls the fields.
			rest := name[len(user):]
			if j := strings.LastIndexByte(rest, '.'); j >= 0 && j+1 < len(rest) && !strings.ContainsAny(rest[j+1:], "#@") {
				e.keepAbsent(rest[j+1:], v)
			}
		}
	}
	for i := range evtxAliases {
		e.apply(&evtxAliases[i])
	}
}

// evtxAliases are bareEVTX's names from Event.System.*, in order.
var evtxAliases = func() []aliasRule {
	const sys = "Event.System."
	rules := []aliasRule{
		newAliasRule("Channel", sys+"Channel"),
		newAliasRule("EventID", sys+"EventID", sys+"EventID.#text", sys+"EventID.#value"),
		newAliasRule("Provider_Name", sys+"Provider.#attributes.Name", sys+"Provider_attributes.Name", sys+"Provider.@Name", sys+"Provider.Name"),
		newAliasRule("Provider_Guid", sys+"Provider.#attributes.Guid", sys+"Provider_attributes.Guid", sys+"Provider.@Guid"),
		newAliasRule("Computer", sys+"Computer"),
		newAliasRule("EventRecordID", sys+"EventRecordID"),
	}
	for _, f := range [...]string{"Level", "Task", "Opcode", "Keywords", "Version"} {
		rules = append(rules, newAliasRule(f, sys+f, sys+f+".#text"))
	}
	return append(rules,
		newAliasRule(FieldTimestamp, sys+"TimeCreated.#attributes.SystemTime", sys+"TimeCreated_attributes.SystemTime", sys+"TimeCreated.@SystemTime"),
		newAliasRule("ProcessID", sys+"Execution.#attributes.ProcessID", sys+"Execution_attributes.ProcessID", sys+"Execution.@ProcessID"),
		newAliasRule("UserID", sys+"Security.#attributes.UserID", sys+"Security_attributes.UserID", sys+"Security.@UserID"),
	)
}()

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
	for i := range winlogbeatAliases {
		e.apply(&winlogbeatAliases[i])
	}
}

// winlogbeatAliases are bareWinlogbeat's names from winlog.*, in order.
var winlogbeatAliases = [...]aliasRule{
	newAliasRule("Channel", "winlog.channel"),
	newAliasRule("EventID", "winlog.event_id", "event.code"),
	newAliasRule("Provider_Name", "winlog.provider_name", "event.provider"),
	newAliasRule("Computer", "winlog.computer_name", "host.hostname", "host.name"),
	newAliasRule("EventRecordID", "winlog.record_id"),
	newAliasRule("Task", "winlog.task"),
	newAliasRule("Keywords", "winlog.keywords"),
}

// windowsECS adds the common fields from the bare Windows names, for any
// layout (and for Wazuh's data.win.* once made bare).
func windowsECS(e *Event) {
	if i := e.findName(nEventID); i >= 0 {
		v := e.fields[i].Value
		// EventID is a number whatever the layout (Winlogbeat sends
		// "4688"), so a Sigma "EventID: 4688" compares alike everywhere.
		if v.kind == KindString && isDigits(v.text) {
			v = Number(v.text)
			e.fields[i].Value = v
		}
		e.setIfAbsentName(nEventCode, v)
	}
	e.aliasName(nEventProvider, nProviderName)
	e.aliasName(nHostName, nComputer)
	e.apply(&ecsMessage)

	// Process: Sysmon names first, then Security auditing (4688, 4663...).
	for i := range ecsProcess {
		e.apply(&ecsProcess[i])
	}
	// In 4688 ProcessId is the creator; NewProcessId is the process.
	if v, ok := e.getName(nNewProcessID); ok {
		e.setIfAbsentName(nProcessPID, pidValue(e, v))
	} else if v, ok := e.getName(nProcessID); ok {
		e.setIfAbsentName(nProcessPID, pidValue(e, v))
	}
	if exe := e.textName(nProcessExe); exe != "" {
		e.setIfAbsentName(nProcessName, String(baseName(exe)))
	}

	// User: Sysmon writes DOMAIN\user; Security has Target*/Subject*.
	for k, f := range windowsUsers {
		u := e.textName(f)
		if u == "" || u == "-" {
			continue
		}
		if i := strings.IndexByte(u, '\\'); i >= 0 {
			e.setIfAbsentName(nUserDomain, String(u[:i]))
			u = u[i+1:]
		} else if k == 1 { // TargetUserName
			e.aliasName(nUserDomain, nTargetDomainName)
		} else if k == 2 { // SubjectUserName
			e.aliasName(nUserDomain, nSubjectDomain)
		}
		e.setIfAbsentName(nUserName, String(u))
		break
	}

	// Network (Sysmon 3, Security 4624/5156...).
	for i := range ecsNetwork {
		e.apply(&ecsNetwork[i])
	}
	if p := e.textName(nProtocol); p != "" && !e.hasName(nTransport) {
		e.setIfAbsentName(nTransport, String(transportName(p)))
	}

	// DNS (Sysmon 22, DNS client events).
	e.apply(&ecsDNS)

	// Files and registry.
	e.apply(&ecsFilePath)
	if !e.hasName(nFilePath) && e.textName(nObjectType) == "File" {
		e.aliasName(nFilePath, nObjectName)
	}
	if p := e.textName(nFilePath); p != "" {
		e.setIfAbsentName(nFileName, String(baseName(p)))
	}
	e.apply(&ecsRegistry)
	if h := e.textName(nHashes); h != "" {
		hashList(e, h)
	} else if h := e.textName(nHash); h != "" {
		hashList(e, h)
	}
	for i := range ecsRest {
		e.apply(&ecsRest[i])
	}
}

// windowsECS's aliasFirst rules, in the order it applies them.
var (
	ecsMessage = newAliasRule(FieldMessage, "Message")
	ecsProcess = [...]aliasRule{
		newAliasRule(FieldProcessExe, "Image", "NewProcessName", "ProcessName", "SourceImage"),
		newAliasRule(FieldProcessCmdLine, "CommandLine"),
		newAliasRule(FieldParentExe, "ParentImage", "ParentProcessName"),
		newAliasRule(FieldParentCmdLine, "ParentCommandLine"),
	}
	ecsNetwork = [...]aliasRule{
		newAliasRule(FieldSourceIP, "SourceIp", "IpAddress", "SourceAddress", "ClientAddress"),
		newAliasRule(FieldSourcePort, "SourcePort", "IpPort"),
		newAliasRule(FieldDestinationIP, "DestinationIp", "DestAddress"),
		newAliasRule(FieldDestinationPort, "DestinationPort", "DestPort"),
		newAliasRule(FieldDestinationHost, "DestinationHostname"),
	}
	ecsDNS      = newAliasRule(FieldDNSQuestion, "QueryName")
	ecsFilePath = newAliasRule(FieldFilePath, "TargetFilename", "ImageLoaded", "ImagePath")
	ecsRegistry = newAliasRule(FieldRegistryPath, "TargetObject")
	ecsRest     = [...]aliasRule{
		newAliasRule(FieldRuleName, "RuleName"),
		newAliasRule(FieldEventAction, "EventType"),
		newAliasRule(FieldTimestamp, "UtcTime", "TimeCreated"),
	}
)

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
			e.setIfAbsentName(nFileMD5, String(v))
		case "SHA1":
			e.setIfAbsentName(nFileSHA1, String(v))
		case "SHA256":
			e.setIfAbsentName(nFileSHA256, String(v))
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
