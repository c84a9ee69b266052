package i18n

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"bulwark/internal/errs"
)

const (
	modulePath = "bulwark"
	errsPath   = modulePath + "/internal/errs"
)

// ctor is a function that builds an *errs.Error: errs.E, errs.Field,
// errs.Wrap, or a helper that passes one of its parameters on as the
// format or the field of one of those. Indexes are of call arguments; -1
// when the function takes no such argument.
type ctor struct {
	format, field int
	literal       bool  // the message is shown as written (Wrap), not a format
	args          []int // arguments shown in the message as words: access.Deny("edit this")
}

// funcKey names a function for resolving calls without type checking:
// package path and name, "method:" + name for methods, or file path and
// "local:" + name for function literals bound to a variable.
type funcKey struct{ scope, name string }

// errorTexts is what the source code can show as service errors.
type errorTexts struct {
	formats       map[string][]string // English format string → where it is used
	fields        map[string][]string // field name (segment) → where it is used
	dynamic       []string            // messages built at run time: "file:line: expr"
	dynamicFields []string
}

type srcFile struct {
	path, pkg string // path relative to the module; package import path
	f         *ast.File
	imports   map[string]string // local name → import path
}

// collectErrorTexts parses every non-test .go file under the module's
// internal/ folder and collects the literal messages and field names given
// to errs.E, errs.Field, errs.Wrap, &errs.Error{…} and helpers wrapping them.
func collectErrorTexts(t testing.TB) errorTexts {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*srcFile
	err = filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		sf := &srcFile{path: rel, pkg: modulePath + "/" + path.Dir(rel), f: f, imports: map[string]string{}}
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			name := ip[strings.LastIndex(ip, "/")+1:]
			if im.Name != nil {
				name = im.Name.Name
			}
			sf.imports[name] = ip
		}
		files = append(files, sf)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	ctors := map[funcKey]ctor{
		{errsPath, "E"}:     {format: 1, field: -1},
		{errsPath, "Field"}: {format: 1, field: 0},
		{errsPath, "Wrap"}:  {format: 2, field: -1, literal: true},
	}
	// Find helpers until no new one appears (a helper of a helper).
	for changed := true; changed; {
		changed = false
		for _, sf := range files {
			eachFunc(sf, func(key funcKey, typ *ast.FuncType, body *ast.BlockStmt) {
				if _, known := ctors[key]; known || body == nil {
					return
				}
				params := paramIndexes(typ)
				ast.Inspect(body, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					c, ok := ctors[sf.resolve(call.Fun, ctors)]
					if !ok {
						return true
					}
					w := ctor{format: -1, field: -1, literal: c.literal}
					if i, ok := paramArg(call, c.format, params); ok {
						w.format = i
					}
					if i, ok := paramArg(call, c.field, params); ok {
						w.field = i
					}
					if c.format >= 0 {
						for j := c.format + 1; j < len(call.Args); j++ {
							if i, ok := paramArg(call, j, params); ok {
								w.args = append(w.args, i)
							}
						}
					}
					for _, j := range c.args {
						if i, ok := paramArg(call, j, params); ok {
							w.args = append(w.args, i)
						}
					}
					if w.format >= 0 || w.field >= 0 || len(w.args) > 0 {
						ctors[key] = w
						changed = true
						return false
					}
					return true
				})
			})
		}
	}

	// Message shows unclassified errors as this text.
	out := errorTexts{formats: map[string][]string{"internal error": {"internal/errs/localize.go"}}, fields: map[string][]string{}}
	refs := map[string]map[string][]string{}   // package → struct field → uses
	values := map[string]map[string][]string{} // package → struct field → literals
	for _, sf := range files {
		if refs[sf.pkg] == nil {
			refs[sf.pkg], values[sf.pkg] = map[string][]string{}, map[string][]string{}
		}
		tableValues(sf.f, values[sf.pkg])
		scopes := map[ast.Node]scope{}
		eachFunc(sf, func(key funcKey, typ *ast.FuncType, body *ast.BlockStmt) {
			if body != nil {
				_, isCtor := ctors[key]
				scopes[body] = scope{paramIndexes(typ), isCtor}
			}
		})
		c := collector{fset: fset, sf: sf, scopes: scopes, ctors: ctors, out: &out, tableRefs: refs[sf.pkg]}
		c.walk(sf.f, scope{})
	}
	for pkg, m := range refs {
		for name, uses := range m {
			for _, v := range values[pkg][name] {
				names, _ := fieldNames(&ast.BasicLit{Kind: token.STRING, Value: strconv.Quote(v)})
				for _, f := range names {
					out.fields[f] = append(out.fields[f], uses[0])
				}
			}
		}
	}
	sort.Strings(out.dynamic)
	sort.Strings(out.dynamicFields)
	return out
}

// scope is the function a body belongs to: arguments that are a helper's
// own parameters are collected at the helper's call sites instead.
type scope struct {
	params map[string]int
	ctor   bool
}

type collector struct {
	fset      *token.FileSet
	sf        *srcFile
	tableRefs map[string][]string // struct field name → uses as a field name
	scopes    map[ast.Node]scope
	ctors     map[funcKey]ctor
	out       *errorTexts
}

func (c *collector) where(n ast.Node) string {
	return fmt.Sprintf("%s:%d", c.sf.path, c.fset.Position(n.Pos()).Line)
}

func (c *collector) format(n ast.Node, a ast.Expr, literal bool, sc scope) {
	if s, ok := stringConst(a); ok {
		if literal {
			s = strings.ReplaceAll(s, "%", "%%")
		}
		c.out.formats[s] = append(c.out.formats[s], c.where(n))
	} else if !(sc.ctor && isParam(a, sc.params)) {
		c.out.dynamic = append(c.out.dynamic, c.where(n)+": "+exprString(c.fset, a))
	}
}

func (c *collector) field(n ast.Node, a ast.Expr, sc scope) {
	names, whole := fieldNames(a)
	for _, f := range names {
		c.out.fields[f] = append(c.out.fields[f], c.where(n))
	}
	if !whole && !(sc.ctor && isParam(a, sc.params)) {
		c.out.dynamicFields = append(c.out.dynamicFields, c.where(n)+": "+exprString(c.fset, a))
		if sel, ok := a.(*ast.SelectorExpr); ok {
			c.tableRefs[sel.Sel.Name] = append(c.tableRefs[sel.Sel.Name], c.where(n))
		}
	}
}

// tableValues collects, for a field name taken from a struct (t.field,
// c.name), the string literals the package puts in that struct field:
// text{field: "title"} and rows of a table []struct{name string; …}{{"x", …}}.
func tableValues(f *ast.File, into map[string][]string) {
	ast.Inspect(f, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		for _, el := range cl.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if k, ok := kv.Key.(*ast.Ident); ok {
					if s, ok := stringConst(kv.Value); ok {
						into[k.Name] = append(into[k.Name], s)
					}
				}
			}
		}
		at, ok := cl.Type.(*ast.ArrayType)
		if !ok {
			return true
		}
		st, ok := at.Elt.(*ast.StructType)
		if !ok {
			return true
		}
		var names []string
		for _, fl := range st.Fields.List {
			for _, nm := range fl.Names {
				names = append(names, nm.Name)
			}
		}
		for _, el := range cl.Elts {
			row, ok := el.(*ast.CompositeLit)
			if !ok {
				continue
			}
			for i, v := range row.Elts {
				if s, ok := stringConst(v); ok && i < len(names) {
					into[names[i]] = append(into[names[i]], s)
				}
			}
		}
		return true
	})
}

// walk collects the messages under root, a file or a function body.
func (c *collector) walk(root ast.Node, sc scope) {
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil {
			return true
		}
		if inner, ok := c.scopes[n]; ok && n != root {
			c.walk(n, inner)
			return false
		}
		switch n := n.(type) {
		case *ast.CallExpr:
			ct, ok := c.ctors[c.sf.resolve(n.Fun, c.ctors)]
			if !ok {
				return true
			}
			if ct.format >= 0 && ct.format < len(n.Args) {
				c.format(n, n.Args[ct.format], ct.literal, sc)
			}
			if ct.field >= 0 && ct.field < len(n.Args) {
				c.field(n, n.Args[ct.field], sc)
			}
			for _, i := range ct.args {
				if i < len(n.Args) {
					if s, ok := stringConst(n.Args[i]); ok {
						s = strings.ReplaceAll(s, "%", "%%")
						c.out.formats[s] = append(c.out.formats[s], c.where(n))
					}
				}
			}
		case *ast.CompositeLit:
			sel, ok := n.Type.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok {
				return true
			}
			typ := c.sf.imports[id.Name] + "." + sel.Sel.Name
			if typ != errsPath+".Error" && typ != modulePath+"/internal/textcheck.Field" {
				return true
			}
			for _, el := range n.Elts {
				kv, ok := el.(*ast.KeyValueExpr)
				if !ok {
					continue
				}
				k, _ := kv.Key.(*ast.Ident)
				switch {
				case k == nil:
				case typ == errsPath+".Error" && k.Name == "Msg":
					c.format(n, kv.Value, true, sc)
				case typ == errsPath+".Error" && k.Name == "Field",
					typ != errsPath+".Error" && k.Name == "Name":
					c.field(n, kv.Value, sc)
				}
			}
		}
		return true
	})
}

// eachFunc calls fn for every function declaration and every function
// literal of the file, with the key calls to it resolve to.
func eachFunc(sf *srcFile, fn func(key funcKey, typ *ast.FuncType, body *ast.BlockStmt)) {
	for _, d := range sf.f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			continue
		}
		key := funcKey{sf.pkg, fd.Name.Name}
		if fd.Recv != nil {
			key.name = "method:" + fd.Name.Name
		}
		fn(key, fd.Type, fd.Body)
	}
	// Function literals: bound to a name (x := func…, var x = func…) they
	// can be helpers; all of them are searched for messages.
	ast.Inspect(sf.f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, r := range n.Rhs {
				if fl, ok := r.(*ast.FuncLit); ok {
					name := ""
					if i < len(n.Lhs) {
						if id, ok := n.Lhs[i].(*ast.Ident); ok {
							name = id.Name
						}
					}
					fn(funcKey{sf.path, "local:" + name}, fl.Type, fl.Body)
				}
			}
			return true
		case *ast.ValueSpec:
			for i, r := range n.Values {
				if fl, ok := r.(*ast.FuncLit); ok && i < len(n.Names) {
					fn(funcKey{sf.path, "local:" + n.Names[i].Name}, fl.Type, fl.Body)
				}
			}
			return true
		case *ast.FuncLit:
			if !boundLits(sf.f)[n] {
				fn(funcKey{sf.path, fmt.Sprintf("literal@%d", n.Pos())}, n.Type, n.Body)
			}
			return true
		}
		return true
	})
}

var boundCache = map[*ast.File]map[*ast.FuncLit]bool{}

// boundLits returns the function literals bound to a name in f.
func boundLits(f *ast.File) map[*ast.FuncLit]bool {
	if m, ok := boundCache[f]; ok {
		return m
	}
	m := map[*ast.FuncLit]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for _, r := range n.Rhs {
				if fl, ok := r.(*ast.FuncLit); ok {
					m[fl] = true
				}
			}
		case *ast.ValueSpec:
			for _, r := range n.Values {
				if fl, ok := r.(*ast.FuncLit); ok {
					m[fl] = true
				}
			}
		}
		return true
	})
	boundCache[f] = m
	return m
}

// resolve names the function a call expression calls.
func (sf *srcFile) resolve(fun ast.Expr, ctors map[funcKey]ctor) funcKey {
	switch f := fun.(type) {
	case *ast.Ident:
		// A helper bound to a name in this file shadows a package
		// function of the same name.
		if local := (funcKey{sf.path, "local:" + f.Name}); hasCtor(ctors, local) {
			return local
		}
		return funcKey{sf.pkg, f.Name}
	case *ast.SelectorExpr:
		if id, ok := f.X.(*ast.Ident); ok {
			if ip, ok := sf.imports[id.Name]; ok {
				return funcKey{ip, f.Sel.Name}
			}
		}
		return funcKey{sf.pkg, "method:" + f.Sel.Name}
	}
	return funcKey{}
}

// paramIndexes maps a function's parameter names to their positions.
func paramIndexes(typ *ast.FuncType) map[string]int {
	m := map[string]int{}
	i := 0
	for _, f := range typ.Params.List {
		if len(f.Names) == 0 {
			i++
			continue
		}
		for _, n := range f.Names {
			m[n.Name] = i
			i++
		}
	}
	return m
}

// paramArg reports which parameter of the enclosing function the call's
// argument at index i is.
func paramArg(call *ast.CallExpr, i int, params map[string]int) (int, bool) {
	if i < 0 || i >= len(call.Args) {
		return 0, false
	}
	id, ok := call.Args[i].(*ast.Ident)
	if !ok {
		return 0, false
	}
	p, ok := params[id.Name]
	return p, ok
}

func isParam(e ast.Expr, params map[string]int) bool {
	id, ok := e.(*ast.Ident)
	if !ok {
		return false
	}
	_, ok = params[id.Name]
	return ok
}

// stringConst evaluates a string literal or a concatenation of them.
func stringConst(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return stringConst(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok := stringConst(e.X)
		if !ok {
			return "", false
		}
		b, ok := stringConst(e.Y)
		return a + b, ok
	}
	return "", false
}

var fieldSegment = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// fieldNames returns the names a field expression is made of, segment by
// segment, as Localizer.FieldLabel looks them up: "tasks[%d].agency" gives
// tasks and agency. whole is false when part of the name is only known at
// run time.
func fieldNames(e ast.Expr) (names []string, whole bool) {
	add := func(s string) {
		for _, seg := range strings.Split(s, ".") {
			if i := strings.IndexByte(seg, '['); i >= 0 {
				seg = seg[:i]
			}
			if fieldSegment.MatchString(seg) {
				names = append(names, seg)
			}
		}
	}
	if s, ok := stringConst(e); ok {
		add(s)
		return names, true
	}
	whole = true
	var walk func(e ast.Expr)
	walk = func(e ast.Expr) {
		switch x := e.(type) {
		case *ast.BinaryExpr:
			walk(x.X)
			walk(x.Y)
			return
		case *ast.CallExpr:
			// fmt.Sprintf("identifiers[%d].%s", i, name)
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Sprintf" && len(x.Args) > 0 {
				if s, ok := stringConst(x.Args[0]); ok {
					add(regexp.MustCompile(`%[a-z]`).ReplaceAllStringFunc(s, func(v string) string {
						if v == "%d" {
							return "0"
						}
						whole = false
						return ""
					}))
					return
				}
			}
		}
		if s, ok := stringConst(e); ok {
			add(s)
			return
		}
		whole = false
	}
	walk(e)
	return names, whole
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	_ = printer.Fprint(&b, fset, e)
	return b.String()
}

// areaOf is the errors_<area>.json file a message of this source file
// belongs in.
func areaOf(file string) string {
	parts := strings.Split(file, "/")
	if len(parts) < 2 {
		return "foundation"
	}
	switch parts[1] {
	case "incident":
		return "incident"
	case "intel", "stix", "misp", "ioc":
		return "intel"
	case "detect", "sigma":
		return "detect"
	case "fraud":
		return "fraud"
	case "sysinv":
		return "sysinv"
	case "directive", "report":
		return "directive"
	}
	return "foundation"
}

// TestEveryErrorMessageIsTranslated fails for each English error message
// or field name in the code that has no Vietnamese translation, and for
// each translation whose fmt verbs differ from the English.
// BULWARK_ERRORS_TODO=FILE writes what is missing as JSON, grouped by the
// file it belongs in, to start the translation from.
func TestEveryErrorMessageIsTranslated(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	texts := collectErrorTexts(t)
	if len(texts.formats) < 300 {
		t.Fatalf("found only %d error messages in the code; is the collector broken?", len(texts.formats))
	}
	todo := map[string]map[string]string{}
	missing := func(key string, uses []string) {
		area := "errors_" + areaOf(uses[0]) + ".json"
		if todo[area] == nil {
			todo[area] = map[string]string{}
		}
		todo[area][key] = ""
	}
	for _, f := range sortedKeys(texts.formats) {
		key := ErrorKey(f)
		vi, ok := c.own("vi", key)
		switch {
		case !ok:
			t.Errorf("no vi translation of %q (%s)", f, strings.Join(texts.formats[f], ", "))
			missing(key, texts.formats[f])
		case !errs.SameVerbs(f, vi):
			t.Errorf("vi translation of %q has verbs %v, want %v: %q", f, errs.Verbs(vi), errs.Verbs(f), vi)
		}
	}
	for _, f := range sortedKeys(texts.fields) {
		if _, ok := c.own("vi", FieldKey(f)); !ok {
			t.Errorf("no vi label of field %q (%s)", f, strings.Join(texts.fields[f], ", "))
			missing(FieldKey(f), texts.fields[f])
		}
	}
	// Every error key of the catalogs has the English text as its en value.
	for _, k := range c.Keys("en") {
		en, _ := c.own("en", k)
		switch {
		case strings.HasPrefix(k, ErrorKeyPrefix):
			if vi, _ := c.own("vi", k); !errs.SameVerbs(en, vi) {
				t.Errorf("%q: vi verbs %v differ from en %v", k, errs.Verbs(vi), errs.Verbs(en))
			}
		case strings.HasPrefix(k, FieldKeyPrefix):
		}
	}
	// Catalog messages the code does not name literally: words given as
	// arguments (statuses, steps) or messages since removed, for a person
	// to prune now and then.
	for _, k := range c.Keys("vi") {
		if f, ok := strings.CutPrefix(k, ErrorKeyPrefix); ok && texts.formats[f] == nil {
			t.Logf("catalog message not named literally in the code: %q", f)
		}
	}
	if p := os.Getenv("BULWARK_ERRORS_TODO"); p != "" && len(todo) > 0 {
		b, _ := json.MarshalIndent(todo, "", "  ")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d messages, %d field names; built at run time (stay English): %d messages, %d field names",
		len(texts.formats), len(texts.fields), len(texts.dynamic), len(texts.dynamicFields))
	for _, d := range texts.dynamic {
		t.Logf("dynamic message: %s", d)
	}
	for _, d := range texts.dynamicFields {
		t.Logf("dynamic field: %s", d)
	}
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasCtor(ctors map[funcKey]ctor, k funcKey) bool {
	_, ok := ctors[k]
	return ok
}
