package index

import (
	"slices"
	"strconv"
	"strings"
)

// Audience says which agencies may use an indicator to raise alerts on
// their own events. The caller derives it from the indicator's TLP (and its
// sharing list): CLEAR is Everyone, GREEN is Members, AMBER is Agencies(owner,
// shared-with...), AMBER+STRICT is Agencies(owner). RED names people, not
// agencies, so automatic detection has no audience for it; the caller decides
// (leaving it out, or Agencies(owner) if its policy says so).
//
// The zero Audience lets nobody use the indicator.
type Audience struct {
	scope    scope
	agencies []int64 // sorted, unique; only for scopeListed
}

type scope uint8

const (
	scopeNobody scope = iota
	scopeEveryone
	scopeMembers
	scopeListed
)

// Everyone is the audience of TLP:CLEAR: any source, even one of no known
// agency (agency id 0).
func Everyone() Audience { return Audience{scope: scopeEveryone} }

// Members is the audience of TLP:GREEN: every agency named in
// Options.Members when the index was built.
func Members() Audience { return Audience{scope: scopeMembers} }

// Agencies is the audience of exactly the given agencies (owner and the
// agencies an AMBER indicator is shared with). Ids <= 0 are ignored, because
// 0 stands for "no agency" in lookups; with no valid id the audience is
// nobody.
func Agencies(ids ...int64) Audience {
	list := make([]int64, 0, len(ids))
	for _, id := range ids {
		if id > 0 {
			list = append(list, id)
		}
	}
	if len(list) == 0 {
		return Audience{}
	}
	slices.Sort(list)
	return Audience{scope: scopeListed, agencies: slices.Compact(list)}
}

// String describes the audience for logs and test failures.
func (a Audience) String() string {
	switch a.scope {
	case scopeEveryone:
		return "everyone"
	case scopeMembers:
		return "members"
	case scopeListed:
		var sb strings.Builder
		sb.WriteString("agencies(")
		for i, id := range a.agencies {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatInt(id, 10))
		}
		sb.WriteByte(')')
		return sb.String()
	}
	return "nobody"
}

// Audience ids as stored per posting: the two common scopes are fixed ids,
// every distinct agency list gets its own id after them. Indicators from one
// feed share a handful of audiences, so a uint32 per posting plus a short
// table replaces a list per indicator.
const (
	audEveryone uint32 = 0
	audMembers  uint32 = 1
	audFirst    uint32 = 2
)

// audienceTable interns agency lists at build time.
type audienceTable struct {
	ids   map[string]uint32
	lists [][]int64
}

func (t *audienceTable) intern(a Audience) uint32 {
	switch a.scope {
	case scopeEveryone:
		return audEveryone
	case scopeMembers:
		return audMembers
	}
	var key strings.Builder
	for _, id := range a.agencies {
		key.WriteString(strconv.FormatInt(id, 36))
		key.WriteByte(',')
	}
	if id, ok := t.ids[key.String()]; ok {
		return id
	}
	if t.ids == nil {
		t.ids = make(map[string]uint32)
	}
	id := audFirst + uint32(len(t.lists))
	t.ids[key.String()] = id
	t.lists = append(t.lists, a.agencies)
	return id
}

// visibility is what a built index needs to answer "may this agency use
// postings of audience a".
type visibility struct {
	members []int64   // sorted
	lists   [][]int64 // by audience id - audFirst, each sorted
}

func (v *visibility) allows(aud uint32, agency int64) bool {
	switch aud {
	case audEveryone:
		return true
	case audMembers:
		_, ok := slices.BinarySearch(v.members, agency)
		return ok && agency > 0
	}
	i := aud - audFirst
	if int(i) >= len(v.lists) {
		return false
	}
	_, ok := slices.BinarySearch(v.lists[i], agency)
	return ok
}

func (v *visibility) bytes() int {
	n := 8 * len(v.members)
	for _, l := range v.lists {
		n += 24 + 8*len(l)
	}
	return n
}
