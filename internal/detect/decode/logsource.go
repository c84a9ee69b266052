package decode

import (
	"slices"
	"strings"
)

// Logsource is the Sigma logsource an event belongs to. An event can fall
// under several categories (Sysmon registry event 13 is registry_set and
// registry_event) and services (an sshd message is sshd, auth and syslog),
// so both are lists, most specific first.
type Logsource struct {
	Product    string
	Categories []string
	Services   []string
}

// Matches reports whether a rule with this logsource applies to the
// event: each of product, category and service must be empty (any) or
// match, as Sigma defines it.
func (l Logsource) Matches(product, category, service string) bool {
	if product != "" && product != l.Product {
		return false
	}
	if category != "" && !slices.Contains(l.Categories, category) {
		return false
	}
	if service != "" && !slices.Contains(l.Services, service) {
		return false
	}
	return true
}

// LogsourceOf derives the Sigma logsource of a decoded event from its
// format and fields: Windows channel and EventID (Sysmon event IDs to
// process_creation, network_connection...; the Security channel to service
// security; PowerShell 4104 and 4103 to ps_script and ps_module), the Zeek
// log type, the Suricata event type, access logs to category webserver,
// and the syslog application name. It returns the zero Logsource when
// nothing is known.
func LogsourceOf(e *Event) Logsource {
	if e.Has("Channel") && e.Has("EventID") {
		return windowsLogsource(e)
	}
	switch e.format {
	case FormatZeek:
		lt := ZeekLogType(e)
		l := Logsource{Product: "zeek"}
		if lt != "" {
			l.Services = []string{lt}
		}
		switch lt {
		case "dns":
			l.Categories = []string{"dns"}
		case "http":
			l.Categories = []string{"proxy"}
		case "conn":
			l.Categories = []string{"firewall"}
		}
		return l
	case FormatSuricata:
		l := Logsource{Product: "suricata"}
		et := e.Text("event_type")
		if et != "" {
			l.Services = []string{et}
		}
		switch et {
		case "dns":
			l.Categories = []string{"dns"}
		case "http":
			l.Categories = []string{"proxy"}
		case "flow", "netflow":
			l.Categories = []string{"firewall"}
		}
		return l
	case FormatAccessLog:
		return Logsource{Categories: []string{"webserver"}}
	case FormatRFC5424, FormatRFC3164:
		return syslogLogsource(e)
	case FormatWazuh:
		if svc := linuxService(e.Text("decoder.name")); svc != "" {
			return Logsource{Product: "linux", Services: []string{svc}}
		}
		if e.Text("decoder.name") == "web-accesslog" {
			return Logsource{Categories: []string{"webserver"}}
		}
	}
	return Logsource{}
}

func windowsLogsource(e *Event) Logsource {
	ch := e.Text("Channel")
	id := e.Text("EventID")
	l := Logsource{Product: "windows"}
	if svc := windowsService(ch); svc != "" {
		l.Services = []string{svc}
	}
	switch {
	case ch == ChannelSysmon:
		l.Categories = sysmonCategories(id, e.Text("EventType"))
	case strings.EqualFold(ch, ChannelSecurity):
		if id == "4688" {
			l.Categories = []string{"process_creation"}
		}
	case ch == ChannelPowerShell || ch == ChannelPowerShellCore:
		switch id {
		case "4104":
			l.Categories = []string{"ps_script"}
		case "4103":
			l.Categories = []string{"ps_module"}
		}
	case ch == ChannelPowerShellClass:
		switch id {
		case "400":
			l.Categories = []string{"ps_classic_start"}
		case "600":
			l.Categories = []string{"ps_classic_provider_start"}
		case "800":
			l.Categories = []string{"ps_classic_script"}
		}
	}
	return l
}

// sysmonCategories maps a Sysmon event ID to Sigma categories, as the
// SigmaHQ Sysmon pipeline does. Event 12 is registry_add for key creation
// and registry_delete for deletion (its EventType says which).
func sysmonCategories(id, eventType string) []string {
	switch id {
	case "1":
		return []string{"process_creation"}
	case "2":
		return []string{"file_change"}
	case "3":
		return []string{"network_connection"}
	case "4", "16":
		return []string{"sysmon_status"}
	case "5":
		return []string{"process_termination"}
	case "6":
		return []string{"driver_load"}
	case "7":
		return []string{"image_load"}
	case "8":
		return []string{"create_remote_thread"}
	case "9":
		return []string{"raw_access_thread"}
	case "10":
		return []string{"process_access"}
	case "11":
		return []string{"file_event"}
	case "12":
		switch eventType {
		case "CreateKey":
			return []string{"registry_add", "registry_event"}
		case "DeleteKey", "DeleteValue":
			return []string{"registry_delete", "registry_event"}
		}
		return []string{"registry_add", "registry_delete", "registry_event"}
	case "13":
		return []string{"registry_set", "registry_event"}
	case "14":
		return []string{"registry_rename", "registry_event"}
	case "15":
		return []string{"create_stream_hash"}
	case "17", "18":
		return []string{"pipe_created"}
	case "19", "20", "21":
		return []string{"wmi_event"}
	case "22":
		return []string{"dns_query"}
	case "23":
		return []string{"file_delete"}
	case "24":
		return []string{"clipboard_capture"}
	case "25":
		return []string{"process_tampering"}
	case "26":
		return []string{"file_delete_detected", "file_delete"}
	case "27":
		return []string{"file_block_executable"}
	case "28":
		return []string{"file_block_shredding"}
	case "29":
		return []string{"file_executable_detected"}
	case "255":
		return []string{"sysmon_error"}
	}
	return nil
}

// windowsService maps an event log channel to the Sigma service name.
func windowsService(ch string) string {
	switch ch {
	case "Security", "security":
		return "security"
	case "System":
		return "system"
	case "Application":
		return "application"
	case ChannelSysmon:
		return "sysmon"
	case ChannelPowerShell, ChannelPowerShellCore:
		return "powershell"
	case ChannelPowerShellClass:
		return "powershell-classic"
	case "Microsoft-Windows-TaskScheduler/Operational":
		return "taskscheduler"
	case "Microsoft-Windows-WMI-Activity/Operational":
		return "wmi"
	case "DNS Server":
		return "dns-server"
	case "Microsoft-Windows-DNS Client Events/Operational":
		return "dns-client"
	case "Microsoft-Windows-DriverFrameworks-UserMode/Operational":
		return "driver-framework"
	case "Microsoft-Windows-NTLM/Operational":
		return "ntlm"
	case "Microsoft-Windows-Windows Defender/Operational":
		return "windefend"
	case "Microsoft-Windows-Windows Firewall With Advanced Security/Firewall":
		return "firewall-as"
	case "Microsoft-Windows-Bits-Client/Operational":
		return "bits-client"
	case "Microsoft-Windows-CodeIntegrity/Operational":
		return "codeintegrity-operational"
	case "Microsoft-Windows-AppXDeploymentServer/Operational":
		return "appxdeployment-server"
	case "MSExchange Management":
		return "msexchange-management"
	case "Microsoft-IIS-Configuration/Operational":
		return "iis-configuration"
	case "OpenSSH/Operational":
		return "openssh"
	case "Microsoft-Windows-SmbClient/Security":
		return "smbclient-security"
	case "Microsoft-Windows-TerminalServices-LocalSessionManager/Operational":
		return "terminalservices-localsessionmanager"
	case "Microsoft-Windows-PrintService/Admin":
		return "printservice-admin"
	case "Microsoft-Windows-PrintService/Operational":
		return "printservice-operational"
	case "Microsoft-Windows-LDAP-Client/Debug":
		return "ldap_debug"
	case "Microsoft-Windows-CAPI2/Operational":
		return "capi2"
	case "Microsoft-Windows-LSA/Operational":
		return "lsa-server"
	case "Microsoft-Windows-Shell-Core/Operational":
		return "shell-core"
	case "Microsoft-Windows-Diagnosis-Scripted/Operational":
		return "diagnosis-scripted"
	case "Microsoft-Windows-VHDMP/Operational":
		return "vhdmp"
	case "Microsoft-Windows-AppModel-Runtime/Admin":
		return "appmodel-runtime"
	case "Microsoft-Windows-Kernel-ShimEngine/Operational":
		return "kernel-shimengine"
	}
	switch {
	case strings.HasPrefix(ch, "Microsoft-Windows-AppLocker/"):
		return "applocker"
	case strings.HasPrefix(ch, "Microsoft-Windows-Security-Mitigations/"):
		return "security-mitigations"
	}
	return ""
}

// syslogLogsource: product linux with the daemon's service for the usual
// Linux daemons, and service syslog for every syslog message (plus auth
// for the auth and authpriv facilities).
func syslogLogsource(e *Event) Logsource {
	var l Logsource
	if svc := linuxService(e.Text(FieldSyslogAppName)); svc != "" {
		l.Product = "linux"
		l.Services = append(l.Services, svc)
	}
	switch e.Text(FieldSyslogFacility) {
	case "4", "10":
		l.Services = append(l.Services, "auth")
	}
	l.Services = append(l.Services, "syslog")
	return l
}

// linuxService maps a program name to a Sigma linux service.
func linuxService(app string) string {
	switch app {
	case "sshd":
		return "sshd"
	case "sudo":
		return "sudo"
	case "cron", "CRON", "crond":
		return "cron"
	case "auditd", "audispd", "audit":
		return "auditd"
	case "vsftpd":
		return "vsftpd"
	case "clamd", "freshclam", "clamav":
		return "clamav"
	case "guacd", "guacamole":
		return "guacamole"
	}
	return ""
}
