package decode

import "time"

// Defaults for Options. They bound the memory one line can cost, not what
// real sensors send: the largest OTRF Windows event is under 40 KiB and
// Suricata EVE lines stay under a few KiB.
const (
	DefaultMaxLineBytes = 1 << 20 // 1 MiB
	DefaultMaxDepth     = 32
	DefaultMaxValues    = 1 << 14 // fields plus list elements per event
)

// UTF8Policy says what a decoder does with invalid UTF-8 in a string.
type UTF8Policy uint8

const (
	// UTF8Replace replaces each invalid byte with U+FFFD and keeps the
	// event. It is the default because a sensor with a legacy code page
	// (Windows-1258 in some Vietnamese deployments) must not lose its
	// events; Raw keeps the original bytes for evidence.
	UTF8Replace UTF8Policy = iota
	// UTF8Reject rejects the event with ReasonInvalidUTF8.
	UTF8Reject
)

// Options are the limits and policies shared by all decoders. The zero
// value means the defaults.
type Options struct {
	// MaxLineBytes is the longest line or message accepted; longer input
	// is rejected with ReasonLineTooLong. 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxDepth bounds JSON nesting (objects and arrays). 0 means
	// DefaultMaxDepth.
	MaxDepth int
	// MaxValues bounds the fields plus list elements of one event, so a
	// line of "[1,1,1,...]" cannot cost 50 bytes of memory per input
	// byte. 0 means DefaultMaxValues.
	MaxValues int
	// UTF8 is the invalid UTF-8 policy.
	UTF8 UTF8Policy
	// Now is the clock, used to put a year on RFC 3164 timestamps (which
	// have none). nil means time.Now.
	Now func() time.Time
	// Location is the time zone of timestamps that carry none (RFC 3164
	// "Jan  2 15:04:05"). nil means UTC; a Vietnamese deployment whose
	// devices log local time sets Asia/Ho_Chi_Minh.
	Location *time.Location
}

func (o Options) withDefaults() Options {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	if o.MaxValues <= 0 {
		o.MaxValues = DefaultMaxValues
	}
	// The fields of an event, its values and those the normalisers add,
	// must fit its index (maxFields).
	o.MaxValues = min(o.MaxValues, maxFields-1024)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.UTC
	}
	return o
}
