// Package intel is the threat-intelligence capability: indicators shared
// under TLP, their sources, sightings, warning lists, imports and exports
// (STIX 2.1, MISP, CSV, plain lists, DNS RPZ, firewall lists), scheduled
// feed pulls, and the data behind the TAXII 2.1 server.
//
// # Model
//
// There is one indicator per (type, normalised value). Each agency and
// source that reports it has its own entry on it, with that source's TLP,
// confidence, tags, description, first and last seen, expiry and
// revocation. A second report by the same agency and source merges into
// its entry (widening first/last seen, keeping the strictest TLP, uniting
// tags); a report by another source adds an entry. A reader sees an
// indicator when at least one of its entries is visible to them by the TLP
// 2.0 rules of access.CanSee, and sees only those entries: the same SQL
// predicate (visibleSQL) filters lists, search, exports, TAXII and feeds,
// and a test checks that it agrees with access.CanSee.
//
// # Matching
//
// Detection calls EachMatchable, which streams the entries usable for
// matching (not revoked, not expired) with their audience, in pages, and
// RecordSightings to record what sensors saw. Other capabilities hand
// indicators over with Submit.
package intel
