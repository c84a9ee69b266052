package sigma_test

import (
	"fmt"

	"bulwark/internal/sigma"
)

// A pipeline compiles its rules once, then matches each event with the
// logsource derived from it, and credits the rule's author in the alert.
func Example() {
	c := &sigma.Collection{}
	c.AddBytes("rules.yml", []byte(`
title: Lsass Memory Dump via Comsvcs DLL
id: a49fa4d5-11db-418c-8473-1e014a8dd462
author: Roberto Rodriguez (Cyb3rWard0g), OTR (Open Threat Research)
level: high
logsource:
    category: process_access
    product: windows
detection:
    selection:
        TargetImage|endswith: '\lsass.exe'
        SourceImage|endswith: '\rundll32.exe'
        CallTrace|contains: 'comsvcs.dll'
    condition: selection
`), sigma.LoadOptions{})
	for _, r := range c.Rejects {
		fmt.Println("rejected:", r)
	}
	rs := sigma.NewRuleSet(c.Rules)

	ev := sigma.MapEvent{
		"Channel":     "Microsoft-Windows-Sysmon/Operational",
		"EventID":     10.0,
		"SourceImage": `C:\Windows\System32\rundll32.exe`,
		"TargetImage": `C:\Windows\system32\lsass.exe`,
		"CallTrace":   `C:\Windows\SYSTEM32\ntdll.dll+9c584|C:\Windows\System32\comsvcs.dll+2c3a`,
	}
	ls, _ := sigma.WindowsEventLogsource(ev)
	for _, r := range rs.Match(ev, ls, nil) {
		fmt.Printf("%s [%s] by %s\n", r.Title, r.Level, r.Author)
	}
	// Output:
	// Lsass Memory Dump via Comsvcs DLL [high] by Roberto Rodriguez (Cyb3rWard0g), OTR (Open Threat Research)
}
