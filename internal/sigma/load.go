package sigma

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// LoadOptions adjust the loaders. The zero value is usable.
type LoadOptions struct {
	Compile CompileOptions
	// MaxFileSize bounds one rule file; 0 means DefaultMaxFileSize.
	MaxFileSize int64
}

// Reject is a rule file or rule document that was not loaded.
type Reject struct {
	File  string
	Index int // document index within File, or -1 for the whole file
	ID    string
	Title string
	Err   error
}

func (r Reject) String() string {
	return fmt.Sprintf("%s[%d] %q: %v", r.File, r.Index, r.Title, r.Err)
}

// Collection is the outcome of loading: the compiled detection rules, the
// correlation rules, and what was rejected and why.
type Collection struct {
	Rules        []*CompiledRule
	Correlations []*Rule
	Rejects      []Reject
}

// AddBytes parses and compiles every document of one rule file's content,
// recording failures as rejects. It never stops at a bad rule.
func (c *Collection) AddBytes(name string, data []byte, opts LoadOptions) {
	limit := opts.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	if int64(len(data)) > limit {
		c.Rejects = append(c.Rejects, Reject{File: name, Index: -1, Err: fmt.Errorf("file larger than %d bytes", limit)})
		return
	}
	rules, errs := ParseRules(data)
	for _, err := range errs {
		rj := Reject{File: name, Index: -1, Err: err}
		var de *DocumentError
		if errors.As(err, &de) {
			rj.Index, rj.ID, rj.Title, rj.Err = de.Index, de.ID, de.Title, de.Err
		}
		c.Rejects = append(c.Rejects, rj)
	}
	for i, r := range rules {
		r.Source = name
		if len(rules) > 1 {
			r.Source = fmt.Sprintf("%s#%d", name, i)
		}
		if r.Correlation != nil {
			c.Correlations = append(c.Correlations, r)
			continue
		}
		cr, err := Compile(r, opts.Compile)
		if err != nil {
			c.Rejects = append(c.Rejects, Reject{File: name, Index: i, ID: r.ID, Title: r.Title, Err: err})
			continue
		}
		c.Rules = append(c.Rules, cr)
	}
}

// AddReader reads one rule file from r, at most the size limit.
func (c *Collection) AddReader(name string, r io.Reader, opts LoadOptions) {
	limit := opts.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		c.Rejects = append(c.Rejects, Reject{File: name, Index: -1, Err: fmt.Errorf("read: %w", err)})
		return
	}
	c.AddBytes(name, data, opts)
}

// LoadFile loads one rule file (possibly several YAML documents).
func LoadFile(name string, opts LoadOptions) *Collection {
	c := &Collection{}
	f, err := os.Open(name)
	if err != nil {
		c.Rejects = append(c.Rejects, Reject{File: name, Index: -1, Err: err})
		return c
	}
	defer f.Close()
	c.AddReader(name, f, opts)
	return c
}

// LoadDir loads every .yml and .yaml file under dir.
func LoadDir(dir string, opts LoadOptions) (*Collection, error) {
	return LoadFS(os.DirFS(dir), ".", opts)
}

// LoadFS loads every .yml and .yaml file under root in fsys. The error is
// only for a tree that cannot be walked; bad files become rejects.
func LoadFS(fsys fs.FS, root string, opts LoadOptions) (*Collection, error) {
	c := &Collection{}
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			c.Rejects = append(c.Rejects, Reject{File: p, Index: -1, Err: err})
			return nil
		}
		if d.IsDir() || !isRuleFile(p) {
			return nil
		}
		f, err := fsys.Open(p)
		if err != nil {
			c.Rejects = append(c.Rejects, Reject{File: p, Index: -1, Err: err})
			return nil
		}
		defer f.Close()
		c.AddReader(p, f, opts)
		return nil
	})
	if err != nil {
		return c, fmt.Errorf("sigma: load %s: %w", root, err)
	}
	return c, nil
}

func isRuleFile(p string) bool {
	ext := strings.ToLower(path.Ext(p))
	return ext == ".yml" || ext == ".yaml"
}
