package detect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/detect/decode"
	"bulwark/internal/errs"
	"bulwark/internal/sigma"
	"bulwark/internal/store"
)

// StoredRule is a Sigma rule kept in Bulwark.
type StoredRule struct {
	ID        int64     `json:"id"`
	UID       string    `json:"uid"` // the rule's id, or a digest when it has none
	Title     string    `json:"title"`
	Author    string    `json:"author,omitempty"`
	Level     string    `json:"level,omitempty"`
	Logsource string    `json:"logsource,omitempty"`
	File      string    `json:"file,omitempty"`
	Enabled   bool      `json:"enabled"`
	UpdatedAt time.Time `json:"updated_at"`
	Body      string    `json:"body,omitempty"`
}

// UploadFile is one rule file of an upload.
type UploadFile struct {
	Name string
	Data []byte
}

// UploadResult says what an upload did: rules added or replaced, and the
// documents rejected with their reason.
type UploadResult struct {
	Added    int             `json:"added"`
	Replaced int             `json:"replaced"`
	Rejected []RejectedRule  `json:"rejected,omitempty"`
	Rules    []StoredRuleRef `json:"rules,omitempty"`
}

// RejectedRule is a rule document that was not loaded.
type RejectedRule struct {
	File   string `json:"file"`
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Title  string `json:"title,omitempty"`
	Reason string `json:"reason"`
}

// StoredRuleRef names a stored rule.
type StoredRuleRef struct {
	UID   string `json:"uid"`
	Title string `json:"title"`
}

// Upload limits.
const (
	MaxUploadFiles = 5000
	MaxRules       = 20_000
)

func rejectsOf(rs []sigma.Reject) []RejectedRule {
	out := make([]RejectedRule, 0, len(rs))
	for _, r := range rs {
		out = append(out, RejectedRule{File: r.File, Index: r.Index, ID: r.ID, Title: r.Title, Reason: r.Err.Error()})
	}
	return out
}

// ruleUID is the stable name of a rule: its id, or a digest of its file
// and title.
func ruleUID(r *sigma.Rule, data []byte) string {
	if r.ID != "" {
		return r.ID
	}
	sum := sha256.Sum256(append(append([]byte{}, data...), r.Title...))
	return "sha256:" + hex.EncodeToString(sum[:12])
}

// UploadRules stores the rules of one or several files (a folder), each
// file checked by the same parser and compiler that match events; rules
// already stored under the same id are replaced. Rejected documents are
// listed with their reason and do not stop the others. The live rule set
// is reloaded afterwards.
func (s *Service) UploadRules(ctx context.Context, files []UploadFile) (UploadResult, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return UploadResult{}, err
	}
	if !access.CanManageRules(p) {
		return UploadResult{}, access.Deny("manage Sigma rules")
	}
	if len(files) == 0 || len(files) > MaxUploadFiles {
		return UploadResult{}, errs.Field("files", "send 1 to %d rule files", MaxUploadFiles)
	}
	var res UploadResult
	type row struct {
		uid, title, author, level, ls, file, body string
	}
	var rows []row
	for _, f := range files {
		c := &sigma.Collection{}
		name := path.Base(strings.ReplaceAll(f.Name, `\`, "/"))
		c.AddBytes(name, f.Data, LoadOptions())
		res.Rejected = append(res.Rejected, rejectsOf(c.Rejects)...)
		add := func(r *sigma.Rule) {
			rows = append(rows, row{ruleUID(r, f.Data), r.Title, r.Author, r.Level, r.Logsource.String(), name, string(f.Data)})
		}
		for _, r := range c.Rules {
			add(r.Rule)
		}
		for _, r := range c.Correlations {
			add(r)
		}
	}
	now := s.now()
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		for _, r := range rows {
			var id int64
			err := tx.QueryRow(ctx, `SELECT id FROM detect_rules WHERE uid = ?`, r.uid).Scan(&id)
			switch {
			case err == nil:
				if _, err := tx.Exec(ctx, `UPDATE detect_rules SET title = ?, author = ?, level = ?, logsource = ?, file = ?, body = ?, uploaded_by = ?, updated_at = ?, revision = revision + 1 WHERE id = ?`,
					r.title, r.author, r.level, r.ls, r.file, r.body, nullID(p.UserID), now, id); err != nil {
					return fmt.Errorf("detect: replace rule %s: %w", r.uid, store.Translate(err))
				}
				res.Replaced++
			case isNoRows(err):
				if _, err := tx.Exec(ctx, `INSERT INTO detect_rules (uid, title, author, level, logsource, file, body, enabled, uploaded_by, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.uid, r.title, r.author, r.level, r.ls, r.file, r.body, true, nullID(p.UserID), now, now); err != nil {
					return fmt.Errorf("detect: add rule %s: %w", r.uid, store.Translate(err))
				}
				res.Added++
			default:
				return fmt.Errorf("detect: find rule %s: %w", r.uid, store.Translate(err))
			}
			res.Rules = append(res.Rules, StoredRuleRef{UID: r.uid, Title: r.title})
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM detect_rules`).Scan(&n); err != nil {
			return fmt.Errorf("detect: count rules: %w", store.Translate(err))
		}
		if n > MaxRules {
			return errs.E(errs.TooLarge, "at most %d rules may be stored", MaxRules)
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "detect.rules.upload", ObjectType: "detect_rule",
			Detail: fmt.Sprintf("%d files, %d added, %d replaced, %d rejected", len(files), res.Added, res.Replaced, len(res.Rejected))})
	})
	if err != nil {
		return UploadResult{}, err
	}
	if _, err := s.LoadRules(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// ListRules returns the stored rules (without their bodies), by title.
func (s *Service) ListRules(ctx context.Context, q string, limit, offset int) ([]StoredRule, int, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !access.CanReadRules(p) {
		return nil, 0, access.Deny("read Sigma rules")
	}
	cond, args := "", []any{}
	if q = strings.TrimSpace(q); q != "" {
		if len(q) > 200 {
			return nil, 0, errs.Field("q", "at most 200 characters")
		}
		like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(q)) + "%"
		cond, args = ` WHERE LOWER(title) LIKE ? ESCAPE '\' OR LOWER(uid) LIKE ? ESCAPE '\' OR LOWER(author) LIKE ? ESCAPE '\'`, []any{like, like, like}
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM detect_rules`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("detect: count rules: %w", store.Translate(err))
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.db.Query(ctx, `SELECT id, uid, title, author, level, logsource, file, enabled, updated_at FROM detect_rules`+cond+
		` ORDER BY title, id LIMIT ? OFFSET ?`, append(args, limit, max(offset, 0))...)
	if err != nil {
		return nil, 0, fmt.Errorf("detect: list rules: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []StoredRule
	for rows.Next() {
		var r StoredRule
		if err := rows.Scan(&r.ID, &r.UID, &r.Title, &r.Author, &r.Level, &r.Logsource, &r.File, &r.Enabled, &r.UpdatedAt); err != nil {
			return nil, 0, fmt.Errorf("detect: list rules: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// GetRule returns a stored rule with its body.
func (s *Service) GetRule(ctx context.Context, id int64) (StoredRule, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return StoredRule{}, err
	}
	if !access.CanReadRules(p) {
		return StoredRule{}, access.Deny("read Sigma rules")
	}
	var r StoredRule
	err = s.db.QueryRow(ctx, `SELECT id, uid, title, author, level, logsource, file, enabled, updated_at, body FROM detect_rules WHERE id = ?`, id).
		Scan(&r.ID, &r.UID, &r.Title, &r.Author, &r.Level, &r.Logsource, &r.File, &r.Enabled, &r.UpdatedAt, &r.Body)
	if isNoRows(err) {
		return StoredRule{}, errs.E(errs.NotFound, "no such rule")
	}
	if err != nil {
		return StoredRule{}, fmt.Errorf("detect: get rule %d: %w", id, store.Translate(err))
	}
	return r, nil
}

// SetRuleEnabled turns a stored rule on or off and reloads the live set.
func (s *Service) SetRuleEnabled(ctx context.Context, id int64, enabled bool) error {
	p, err := access.Require(ctx)
	if err != nil {
		return err
	}
	if !access.CanManageRules(p) {
		return access.Deny("manage Sigma rules")
	}
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		r, err := tx.Exec(ctx, `UPDATE detect_rules SET enabled = ?, updated_at = ?, revision = revision + 1 WHERE id = ?`, enabled, s.now(), id)
		if err != nil {
			return fmt.Errorf("detect: enable rule %d: %w", id, store.Translate(err))
		}
		if n, _ := r.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "no such rule")
		}
		return s.audit.Record(ctx, tx, audit.Entry{Action: "detect.rule.enable", ObjectType: "detect_rule", ObjectID: strconv.FormatInt(id, 10), Detail: strconv.FormatBool(enabled)})
	})
	if err != nil {
		return err
	}
	_, err = s.LoadRules(ctx)
	return err
}

// LoadRules compiles the enabled stored rules and publishes them to the
// engine; it returns the rules that no longer compile. It needs no
// principal (it runs at start).
func (s *Service) LoadRules(ctx context.Context) (*Rules, error) {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	mark, err := s.rulesMark(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT uid, file, body, enabled FROM detect_rules ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("detect: load rules: %w", store.Translate(err))
	}
	defer rows.Close()
	enabled := map[string]bool{}
	bodies := map[string]string{} // body digest -> file name; a file holding several rules is compiled once
	var order []string
	var texts []string
	for rows.Next() {
		var uid, file, body string
		var on bool
		if err := rows.Scan(&uid, &file, &body, &on); err != nil {
			return nil, fmt.Errorf("detect: load rules: %w", err)
		}
		enabled[uid] = on
		sum := sha256.Sum256([]byte(body))
		k := string(sum[:])
		if _, ok := bodies[k]; !ok {
			bodies[k] = file
			order = append(order, k)
			texts = append(texts, body)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("detect: load rules: %w", err)
	}
	all := &sigma.Collection{}
	for i, k := range order {
		c := &sigma.Collection{}
		data := []byte(texts[i])
		c.AddBytes(bodies[k], data, LoadOptions())
		all.Rejects = append(all.Rejects, c.Rejects...)
		for _, r := range c.Rules {
			if uid := ruleUID(r.Rule, data); enabled[uid] {
				delete(enabled, uid) // a rule id stored twice counts once
				all.Rules = append(all.Rules, r)
			}
		}
		for _, r := range c.Correlations {
			if uid := ruleUID(r, data); enabled[uid] {
				delete(enabled, uid)
				all.Correlations = append(all.Correlations, r)
			}
		}
	}
	rs := NewRules(all)
	// Correlations that did not change keep their windows.
	rs.adopt(s.engine.Rules())
	s.engine.SetRules(rs)
	s.loadedMark = mark
	s.metrics.rulesLoaded(rs.Set.Len(), rs.Correlating)
	return rs, nil
}

// ExportCorrelations encodes the correlation windows of the agencies
// part selects and forgets them here: a stream worker giving up a
// partition hands its agencies' windows to the partition's next holder,
// which restores them with ImportCorrelations. It returns nil when those
// agencies hold no window. Call it once the partition's last batch is
// processed.
func (s *Service) ExportCorrelations(part func(agency int64) bool) ([]byte, error) {
	s.rulesMu.Lock() // not while the rules are swapped: the windows go with them
	defer s.rulesMu.Unlock()
	return s.engine.Rules().exportAgencies(part, true)
}

// SnapshotCorrelations is ExportCorrelations keeping the windows: a stream
// worker saves a partition's windows now and then, so that the partition's
// next holder goes on from them if this worker dies.
func (s *Service) SnapshotCorrelations(part func(agency int64) bool) ([]byte, error) {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	return s.engine.Rules().exportAgencies(part, false)
}

// ImportCorrelations replaces the correlation windows of the agencies part
// selects with those ExportCorrelations encoded (nil: none, so that a
// partition taken back after another worker held it starts from what that
// worker handed over, never from this worker's old windows). Correlations
// changed since the export start afresh, as on a reload. Call it before
// the partition's first batch.
func (s *Service) ImportCorrelations(part func(agency int64) bool, data []byte) error {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	return s.engine.Rules().importAgencies(part, data)
}

// rulesMark is the count of stored rules and the sum of their revisions:
// rules are never deleted and every change raises a revision, so the pair
// changes with every change of a body or an enabled flag.
func (s *Service) rulesMark(ctx context.Context) ([2]int64, error) {
	var m [2]int64
	err := s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(revision), 0) FROM detect_rules`).Scan(&m[0], &m[1])
	if err != nil {
		return m, fmt.Errorf("detect: rules revision: %w", store.Translate(err))
	}
	return m, nil
}

// refreshRules reloads the rules when the stored ones changed since they
// were last loaded: another process (a server, when this is an ingest
// worker, or another server) uploaded, enabled or disabled rules.
func (s *Service) refreshRules(ctx context.Context) (bool, error) {
	mark, err := s.rulesMark(ctx)
	if err != nil {
		return false, err
	}
	s.rulesMu.Lock()
	same := mark == s.loadedMark
	s.rulesMu.Unlock()
	if same {
		return false, nil
	}
	if _, err := s.LoadRules(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// RuleTest is the outcome of testing a rule against one event.
type RuleTest struct {
	Matched bool `json:"matched"`
	// Fits is false when the rule's logsource does not cover the event's,
	// so the pipeline would never evaluate it there.
	Fits      bool              `json:"fits"`
	Logsource string            `json:"event_logsource"`
	Format    string            `json:"event_format"`
	Fields    map[string]string `json:"fields"`
	Rejected  []RejectedRule    `json:"rejected,omitempty"`
	Title     string            `json:"title,omitempty"`
}

// Limits of a rule test.
const (
	MaxTestRule  = 256 << 10
	MaxTestEvent = 256 << 10
)

// TestRule compiles one rule (YAML) and evaluates it against one pasted
// event decoded with the given format (auto when empty). Nothing is stored.
func (s *Service) TestRule(ctx context.Context, rule, event, format string) (RuleTest, error) {
	p, err := access.Require(ctx)
	if err != nil {
		return RuleTest{}, err
	}
	if !access.CanReadRules(p) {
		return RuleTest{}, access.Deny("test Sigma rules")
	}
	switch {
	case strings.TrimSpace(rule) == "":
		return RuleTest{}, errs.Field("rule", "paste a Sigma rule")
	case len(rule) > MaxTestRule:
		return RuleTest{}, errs.Field("rule", "at most %d KiB", MaxTestRule>>10)
	case strings.TrimSpace(event) == "":
		return RuleTest{}, errs.Field("event", "paste an event")
	case len(event) > MaxTestEvent:
		return RuleTest{}, errs.Field("event", "at most %d KiB", MaxTestEvent>>10)
	}
	if format == "" {
		format = string(decode.KindAuto)
	}
	dec, ok := s.decoders[decode.SourceKind(format)]
	if !ok {
		return RuleTest{}, errs.Field("format", "unknown event format %q", format)
	}
	c := &sigma.Collection{}
	c.AddBytes("test.yml", []byte(rule), LoadOptions())
	out := RuleTest{Rejected: rejectsOf(c.Rejects)}
	if len(c.Rules) == 0 {
		msg := "the text holds no detection rule"
		if len(out.Rejected) > 0 {
			msg = out.Rejected[0].Reason
		}
		return out, errs.Field("rule", "%s", msg)
	}
	ev, err := dec.Decode([]byte(strings.TrimSpace(event)))
	if err != nil {
		return out, errs.Field("event", "the event does not decode as %s: %s", format, decode.ReasonOf(err))
	}
	ls := decode.LogsourceOf(&ev)
	out.Format = string(ev.Format())
	out.Logsource = fmt.Sprintf("product=%s category=%s service=%s", ls.Product, strings.Join(ls.Categories, ","), strings.Join(ls.Services, ","))
	out.Fields = map[string]string{}
	for name, v := range ev.All() {
		if len(out.Fields) < 200 {
			out.Fields[name] = truncate(v.String(), 300)
		}
	}
	r := c.Rules[0]
	out.Title = r.Title
	rl := r.Logsource
	out.Fits = ls.Matches(rl.Product, rl.Category, rl.Service)
	out.Matched = r.Match(sigmaEvent{&ev})
	return out, nil
}
