// Package stix is Bulwark's STIX 2.1 format layer: a parser for the STIX
// patterning language (with Extract, which turns a pattern into simple
// indicators or explains why it cannot), a streaming bundle reader with typed
// decoding of indicators and cyber-observables, TLP marking resolution, and a
// streaming bundle writer with deterministic ids.
//
// The package knows nothing about storage: it maps STIX to (type, value)
// pairs whose type names are shared with the rest of Bulwark (see the Type
// constants) and leaves normalisation of the values to the importer.
package stix

// Indicator type names shared with the rest of Bulwark. Values are kept as
// they appear in the source; normalisation is the importer's job.
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
// For TypeASN the value is the decimal AS number without an "AS" prefix.
type Observable struct {
	Type  string
	Value string
}
