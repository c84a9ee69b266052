// Package sigma parses SigmaHQ-format detection rules and compiles them into
// matchers that evaluate flat security events in-process.
//
// The engine follows the Sigma specification v2: detection maps and lists,
// the value modifiers (contains, startswith, endswith, all, re with flags,
// cidr, base64, base64offset, windash, wide/utf16*, exists, expand,
// lt/lte/gt/gte, fieldref, cased), plain wildcards, keyword searches, the
// condition grammar, and correlation rules (event_count, value_count,
// temporal, temporal_ordered).
//
// Speed comes from work done once at compile time rather than per event:
// needles are case-folded when the rule is compiled, a [RuleSet] keeps rules
// per event logsource, and within a logsource one Aho-Corasick automaton per
// field over every rule's most selective literal picks the few rules worth
// evaluating. Keyword searches, which may match any value, join the event's
// values once and find their few literals by each one's rarest byte.
// Compiled rules and rule sets are immutable and safe for concurrent use.
//
// Use: load rules with [LoadDir], [LoadFS] or [Collection.AddBytes] (bad
// rules become [Reject]s with reasons, they never stop a load), build a
// [RuleSet] with [NewRuleSet], and call [RuleSet.Match] per event with the
// event's [Logsource] ([WindowsEventLogsource] derives it for Windows event
// logs). Correlation rules go to a [Correlator], fed with the matches.
//
// Throughput is measured against github.com/bradleyjkemp/sigma-go in one
// run: go test -run '^$' -bench 'Match$|SigmaGo' ./internal/sigma/
//
// Rules from SigmaHQ are under the Detection Rule License: alerts must credit
// the rule's author, which is why [Rule] keeps Author and Title.
package sigma
