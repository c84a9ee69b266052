// Package decode turns raw sensor input into flat events with one common set
// of field names, for the detection pipeline (indicator matching and Sigma
// rules).
//
// A sensor sends lines or frames of one source kind (generic JSON, Suricata
// EVE, Wazuh alerts, Windows events in three JSON layouts, web access logs,
// Zeek JSON, syslog). A [Decoder] for that kind turns one line into an
// [Event]: a flat list of named values where nested JSON objects become
// dotted names ("alert.signature") and arrays stay lists. Every decoder keeps
// the source's own field names and adds the common, ECS-like names listed in
// ecs.go (source.ip, dns.question.name, process.command_line, ...) so the
// indicator matcher and Sigma rules read one vocabulary. Windows events also
// get their EventData fields under bare names (Image, CommandLine) because
// SigmaHQ rules use those.
//
// Decoding is built for the hot path: an event costs a handful of
// allocations whatever its size, because every string value is a slice of
// one private copy of the input line (see arena.go). Decoders never panic on
// bad input; they return an *[Error] whose [Reason] is a short code for
// counters ("json_syntax", "line_too_long", "depth", ...). The caller keeps
// the raw line of a rejected event (dead-letter), so nothing accepted is lost.
//
// Streaming helpers read what arrives on the wire: [LineReader] for NDJSON
// with per-line errors and line numbers, [Framer] for syslog over TCP with
// RFC 6587 octet counting and newline framing, and [NewGzipReader] with a
// decompressed-size and ratio guard against gzip bombs.
//
// [LogsourceOf] and [MapField] connect decoded events to Sigma: the first
// says which Sigma logsource (product, categories, services) an event
// belongs to, the second translates a rule's field name into the event's.
package decode
