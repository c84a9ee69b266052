package decode

import (
	"slices"
	"strings"
)

// Logsource is the Sigma logsource an event belongs to. An event can fall
// under several categories (Sysmon registry event 13 is registry_set and
// registry_event) and services (an sshd message is sshd, auth and syslog),
// so both are lists, most specific first. The lists LogsourceOf returns
// may be shared between events: read them, never write to them.
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
			l.Categories = lsDns
		case "http":
			l.Categories = lsProxy
		case "conn":
			l.Categories = lsFirewall
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
			l.Categories = lsDns
		case "http":
			l.Categories = lsProxy
		case "flow", "netflow":
			l.Categories = lsFirewall
		}
		return l
	case FormatAccessLog:
		return Logsource{Categories: lsWebserver}
	case FormatRFC5424, FormatRFC3164:
		return syslogLogsource(e)
	case FormatWazuh:
		if svc := linuxService(e.Text("decoder.name")); svc != "" {
			return Logsource{Product: "linux", Services: []string{svc}}
		}
		if e.Text("decoder.name") == "web-accesslog" {
			return Logsource{Categories: lsWebserver}
		}
	}
	return Logsource{}
}

func windowsLogsource(e *Event) Logsource {
	ch := e.Text("Channel")
	id := e.Text("EventID")
	l := Logsource{Product: "windows"}
	if svc := windowsService(ch); svc != "" {
		l.Services = windowsServices[svc]
		if l.Services == nil {
			l.Services = []string{svc}
		}
	}
	switch {
	case ch == ChannelSysmon:
		l.Categories = sysmonCategories(id, e.Text("EventType"))
	case strings.EqualFold(ch, ChannelSecurity):
		if id == "4688" {
			l.Categories = lsProcessCreation
		}
	case ch == ChannelPowerShell || ch == ChannelPowerShellCore:
		switch id {
		case "4104":
			l.Categories = lsPsScript
		case "4103":
			l.Categories = lsPsModule
		}
	case ch == ChannelPowerShellClass:
		switch id {
		case "400":
			l.Categories = lsPsClassicStart
		case "600":
			l.Categories = lsPsClassicProviderStart
		case "800":
			l.Categories = lsPsClassicScript
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
		return lsProcessCreation
	case "2":
		return lsFileChange
	case "3":
		return lsNetworkConnection
	case "4", "16":
		return lsSysmonStatus
	case "5":
		return lsProcessTermination
	case "6":
		return lsDriverLoad
	case "7":
		return lsImageLoad
	case "8":
		return lsCreateRemoteThread
	case "9":
		return lsRawAccessThread
	case "10":
		return lsProcessAccess
	case "11":
		return lsFileEvent
	case "12":
		switch eventType {
		case "CreateKey":
			return lsRegistryAddRegistryEvent
		case "DeleteKey", "DeleteValue":
			return lsRegistryDeleteRegistryEvent
		}
		return lsRegistryAddRegistryDeleteRegistryEvent
	case "13":
		return lsRegistrySetRegistryEvent
	case "14":
		return lsRegistryRenameRegistryEvent
	case "15":
		return lsCreateStreamHash
	case "17", "18":
		return lsPipeCreated
	case "19", "20", "21":
		return lsWmiEvent
	case "22":
		return lsDnsQuery
	case "23":
		return lsFileDelete
	case "24":
		return lsClipboardCapture
	case "25":
		return lsProcessTampering
	case "26":
		return lsFileDeleteDetectedFileDelete
	case "27":
		return lsFileBlockExecutable
	case "28":
		return lsFileBlockShredding
	case "29":
		return lsFileExecutableDetected
	case "255":
		return lsSysmonError
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

// The category lists LogsourceOf returns are shared (callers must not
// modify a Logsource's slices): a slice literal per event would cost an
// allocation for every event matched.
var (
	lsClipboardCapture                       = []string{"clipboard_capture"}
	lsCreateRemoteThread                     = []string{"create_remote_thread"}
	lsCreateStreamHash                       = []string{"create_stream_hash"}
	lsDns                                    = []string{"dns"}
	lsDnsQuery                               = []string{"dns_query"}
	lsDriverLoad                             = []string{"driver_load"}
	lsFileBlockExecutable                    = []string{"file_block_executable"}
	lsFileBlockShredding                     = []string{"file_block_shredding"}
	lsFileChange                             = []string{"file_change"}
	lsFileDelete                             = []string{"file_delete"}
	lsFileDeleteDetectedFileDelete           = []string{"file_delete_detected", "file_delete"}
	lsFileEvent                              = []string{"file_event"}
	lsFileExecutableDetected                 = []string{"file_executable_detected"}
	lsFirewall                               = []string{"firewall"}
	lsImageLoad                              = []string{"image_load"}
	lsNetworkConnection                      = []string{"network_connection"}
	lsPipeCreated                            = []string{"pipe_created"}
	lsProcessAccess                          = []string{"process_access"}
	lsProcessCreation                        = []string{"process_creation"}
	lsProcessTampering                       = []string{"process_tampering"}
	lsProcessTermination                     = []string{"process_termination"}
	lsProxy                                  = []string{"proxy"}
	lsPsClassicProviderStart                 = []string{"ps_classic_provider_start"}
	lsPsClassicScript                        = []string{"ps_classic_script"}
	lsPsClassicStart                         = []string{"ps_classic_start"}
	lsPsModule                               = []string{"ps_module"}
	lsPsScript                               = []string{"ps_script"}
	lsRawAccessThread                        = []string{"raw_access_thread"}
	lsRegistryAddRegistryDeleteRegistryEvent = []string{"registry_add", "registry_delete", "registry_event"}
	lsRegistryAddRegistryEvent               = []string{"registry_add", "registry_event"}
	lsRegistryDeleteRegistryEvent            = []string{"registry_delete", "registry_event"}
	lsRegistryRenameRegistryEvent            = []string{"registry_rename", "registry_event"}
	lsRegistrySetRegistryEvent               = []string{"registry_set", "registry_event"}
	lsSysmonError                            = []string{"sysmon_error"}
	lsSysmonStatus                           = []string{"sysmon_status"}
	lsWebserver                              = []string{"webserver"}
	lsWmiEvent                               = []string{"wmi_event"}
)

// windowsServiceNames are the services windowsService returns.
var windowsServiceNames = []string{"application", "applocker", "appmodel-runtime", "appxdeployment-server", "bits-client", "capi2", "codeintegrity-operational", "diagnosis-scripted", "dns-client", "dns-server", "driver-framework", "firewall-as", "iis-configuration", "kernel-shimengine", "ldap_debug", "lsa-server", "msexchange-management", "ntlm", "openssh", "powershell", "powershell-classic", "printservice-admin", "printservice-operational", "security", "security-mitigations", "shell-core", "smbclient-security", "sysmon", "system", "taskscheduler", "terminalservices-localsessionmanager", "vhdmp", "windefend", "wmi"}

// windowsServices holds a shared one-element slice for each service
// windowsService returns.
var windowsServices = func() map[string][]string {
	m := map[string][]string{}
	for _, svc := range windowsServiceNames {
		m[svc] = []string{svc}
	}
	return m
}()
