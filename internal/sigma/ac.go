package sigma

// acMachine is an Aho-Corasick automaton compiled to a DFA over byte
// classes: every byte not used by any pattern shares class 0, which keeps
// the transition table small. Patterns are matched anywhere in the text;
// the scan reports each pattern ending at each position.
type acMachine struct {
	class [256]uint8
	width int32 // number of byte classes
	// next maps row+class to the next state's row (state*width); a
	// target with outputs is stored complemented (negative), so the scan
	// loop needs one load per byte and tests outputs by sign.
	next   []int32
	out    []int32 // state -> first output entry index in outs, or -1
	outs   []acOut
	states int
}

// acOut is a chain of outputs: the pattern id and the next output in the
// suffix chain (-1 at the end).
type acOut struct {
	pat  int32
	next int32
}

// newACMachine builds the automaton for pats; a pattern's id is its index.
// Empty patterns are ignored.
func newACMachine(pats []string) *acMachine {
	m := &acMachine{}
	// Byte classes.
	var used [256]bool
	for _, p := range pats {
		for i := 0; i < len(p); i++ {
			used[p[i]] = true
		}
	}
	// Class 0 is for bytes no pattern uses; at most 255 other classes
	// fit in a byte, and patterns are folded (no upper-case ASCII), so
	// at most 230 bytes are ever used.
	w := int32(1)
	for b := 0; b < 256; b++ {
		if used[b] && w < 256 {
			m.class[b] = uint8(w)
			w++
		}
	}
	// Patterns are folded, so upper-case ASCII never occurs in them;
	// giving 'A' the class of 'a' lets scanASCII fold while it scans.
	for b := 'A'; b <= 'Z'; b++ {
		m.class[b] = m.class[b+('a'-'A')]
	}
	m.width = w
	// Trie.
	next := make([]int32, w) // state 0 = root
	for i := range next {
		next[i] = -1
	}
	own := [][]int32{nil}
	for id, p := range pats {
		if p == "" {
			continue
		}
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int32(m.class[p[i]])
			t := next[s*w+c]
			if t < 0 {
				t = int32(len(own))
				own = append(own, nil)
				for j := int32(0); j < w; j++ {
					next = append(next, -1)
				}
				next[s*w+c] = t
			}
			s = t
		}
		own[s] = append(own[s], int32(id))
	}
	n := len(own)
	m.states = n
	// Breadth-first failure links, turning the trie into a DFA.
	fail := make([]int32, n)
	outHead := make([]int32, n)
	for i := range outHead {
		outHead[i] = -1
	}
	queue := make([]int32, 0, n)
	for c := int32(0); c < w; c++ {
		t := next[c]
		if t < 0 {
			next[c] = 0
			continue
		}
		fail[t] = 0
		queue = append(queue, t)
	}
	for qi := 0; qi < len(queue); qi++ {
		s := queue[qi]
		// Outputs: own patterns, then the failure state's chain.
		head := outHead[fail[s]]
		for _, pat := range own[s] {
			m.outs = append(m.outs, acOut{pat: pat, next: head})
			head = int32(len(m.outs) - 1)
		}
		outHead[s] = head
		for c := int32(0); c < w; c++ {
			t := next[s*w+c]
			if t < 0 {
				next[s*w+c] = next[fail[s]*w+c]
				continue
			}
			fail[t] = next[fail[s]*w+c]
			queue = append(queue, t)
		}
	}
	for i, t := range next {
		if outHead[t] >= 0 {
			next[i] = ^(t * w)
		} else {
			next[i] = t * w
		}
	}
	m.next = next
	m.out = outHead
	return m
}

// scan runs the automaton over text and calls hit for every pattern
// occurrence (a pattern may be reported several times).
func (m *acMachine) scan(text string, hit func(pat int32)) {
	row := int32(0)
	next, class := m.next, &m.class
	for i := 0; i < len(text); i++ {
		row = next[row+int32(class[text[i]])]
		if row < 0 {
			row = ^row
			m.emit(row, hit)
		}
	}
}

// scanASCII scans raw text as if it were folded, which holds as long as
// the text is ASCII. At the first non-ASCII byte it returns false; the
// hits reported so far are real (the ASCII prefix equals its folded form)
// and the caller rescans the folded text, repeating them harmlessly.
func (m *acMachine) scanASCII(text string, hit func(pat int32)) bool {
	row := int32(0)
	next, class := m.next, &m.class
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 0x80 {
			return false
		}
		row = next[row+int32(class[c])]
		if row < 0 {
			row = ^row
			m.emit(row, hit)
		}
	}
	return true
}

func (m *acMachine) emit(row int32, hit func(pat int32)) {
	for o := m.out[row/m.width]; o >= 0; o = m.outs[o].next {
		hit(m.outs[o].pat)
	}
}

// memBytes estimates the automaton's memory.
func (m *acMachine) memBytes() int {
	return len(m.next)*4 + len(m.out)*4 + len(m.outs)*8 + 256
}
