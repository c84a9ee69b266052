// Package misp is Bulwark's MISP format layer: a streaming reader for MISP
// event JSON, the mapping of MISP attribute types to Bulwark indicator
// types, TLP resolution from tags and distribution levels, a reader for MISP
// feeds (manifest.json, <uuid>.json, hashes.csv) from a folder or over HTTP,
// and a streaming event writer.
//
// The package knows nothing about storage. It hands out attributes as read
// and (type, value) pairs; whether to_ids matters is the importer's choice.
package misp

// Indicator type names shared with the rest of Bulwark; values are kept as
// they appear in the source and normalised by the importer.
const (
	TypeIPv4     = "ipv4"
	TypeIPv6     = "ipv6"
	TypeCIDR     = "cidr"
	TypeDomain   = "domain"
	TypeURL      = "url"
	TypeMD5      = "md5"
	TypeSHA1     = "sha1"
	TypeSHA256   = "sha256"
	TypeEmail    = "email"
	TypePhone    = "phone"
	TypeFilename = "filename"
	TypeASN      = "asn"
	TypeOther    = "other"
)

// Observable is one simple indicator: a Bulwark type name and the raw value.
type Observable struct {
	Type  string
	Value string
}
