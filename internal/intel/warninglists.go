package intel

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/intel/warninglist"
	"bulwark/internal/store"
)

// WarningListInfo describes one loaded warning list.
type WarningListInfo struct {
	ID          int64     `json:"id,omitempty"` // 0 for built-in lists
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Description string    `json:"description"`
	Entries     int       `json:"entries"`
	Builtin     bool      `json:"builtin"`
	Enabled     bool      `json:"enabled"`
	CreatedAt   time.Time `json:"created_at,omitempty"`
}

// LoadWarningLists builds the matcher from the built-in lists and the
// enabled lists admins added, and swaps it in. Call it at start; adding a
// list calls it again.
func (s *Service) LoadWarningLists(ctx context.Context) error {
	lists, err := warninglist.Builtin()
	if err != nil {
		return fmt.Errorf("intel: built-in warning lists: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT body FROM intel_warninglists WHERE enabled ORDER BY id`)
	if err != nil {
		return fmt.Errorf("intel: load warning lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return fmt.Errorf("intel: load warning lists: %w", err)
		}
		l, err := warninglist.Parse(bytes.NewReader([]byte(body)))
		if err != nil {
			s.slog.Warn("intel: stored warning list no longer parses", "err", err)
			continue
		}
		lists = append(lists, l)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("intel: load warning lists: %w", err)
	}
	set, skipped := warninglist.NewSet(lists)
	if skipped > 0 {
		s.slog.Info("intel: warning-list entries skipped", "count", skipped)
	}
	s.wl.Store(set)
	return nil
}

// WarningLists lists the built-in and added lists, enabled or not (any
// signed-in user).
func (s *Service) WarningLists(ctx context.Context) ([]WarningListInfo, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	lists, err := warninglist.Builtin()
	if err != nil {
		return nil, err
	}
	var out []WarningListInfo
	for _, l := range lists {
		out = append(out, WarningListInfo{Name: l.Name, Type: l.Type, Description: l.Description, Entries: len(l.List), Builtin: true, Enabled: true})
	}
	rows, err := s.db.Query(ctx, `SELECT id, body, enabled, created_at FROM intel_warninglists ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("intel: list warning lists: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var body string
		var enabled bool
		var at time.Time
		if err := rows.Scan(&id, &body, &enabled, &at); err != nil {
			return nil, fmt.Errorf("intel: list warning lists: %w", err)
		}
		l, err := warninglist.Parse(bytes.NewReader([]byte(body)))
		if err != nil {
			continue
		}
		out = append(out, WarningListInfo{ID: id, Name: l.Name, Type: l.Type, Description: l.Description, Entries: len(l.List), Enabled: enabled, CreatedAt: at.UTC()})
	}
	return out, rows.Err()
}

// AddWarningList stores a list in MISP warninglists JSON (admins) and
// reloads the matcher. A list of the same name is replaced.
func (s *Service) AddWarningList(ctx context.Context, body []byte) (WarningListInfo, error) {
	p, err := caller(ctx)
	if err != nil {
		return WarningListInfo{}, err
	}
	if !access.CanManageIntelSources(p) {
		return WarningListInfo{}, s.deny(ctx, "add warning lists", "warninglist", "")
	}
	l, err := warninglist.Parse(bytes.NewReader(body))
	if err != nil {
		return WarningListInfo{}, errs.Wrap(errs.Invalid, err, err.Error())
	}
	info := WarningListInfo{Name: l.Name, Type: l.Type, Description: l.Description, Entries: len(l.List), Enabled: true, CreatedAt: s.stamp()}
	err = s.transact(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM intel_warninglists WHERE name = ?`, l.Name); err != nil {
			return fmt.Errorf("intel: replace warning list: %w", err)
		}
		if err := tx.QueryRow(ctx, `INSERT INTO intel_warninglists (name, body, enabled, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			l.Name, string(body), true, nullID(p.UserID), info.CreatedAt).Scan(&info.ID); err != nil {
			return fmt.Errorf("intel: add warning list: %w", err)
		}
		return s.record(ctx, tx, "intel.warninglist.add", "warninglist", info.ID, fmt.Sprintf("%s (%s, %d entries)", l.Name, l.Type, len(l.List)))
	})
	if err != nil {
		return WarningListInfo{}, err
	}
	return info, s.LoadWarningLists(ctx)
}

// SetWarningListEnabled turns an added list on or off (admins) and
// reloads the matcher. Built-in lists are always on.
func (s *Service) SetWarningListEnabled(ctx context.Context, id int64, enabled bool) error {
	p, err := caller(ctx)
	if err != nil {
		return err
	}
	if !access.CanManageIntelSources(p) {
		return s.deny(ctx, "manage warning lists", "warninglist", id)
	}
	err = s.transact(ctx, func(tx *store.Tx) error {
		var name string
		if err := tx.QueryRow(ctx, `SELECT name FROM intel_warninglists WHERE id = ?`, id).Scan(&name); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "no warning list %d", id)
			}
			return fmt.Errorf("intel: warning list %d: %w", id, err)
		}
		if _, err := tx.Exec(ctx, `UPDATE intel_warninglists SET enabled = ? WHERE id = ?`, enabled, id); err != nil {
			return fmt.Errorf("intel: warning list %d: %w", id, err)
		}
		action := "intel.warninglist.disable"
		if enabled {
			action = "intel.warninglist.enable"
		}
		return s.record(ctx, tx, action, "warninglist", id, name)
	})
	if err != nil {
		return err
	}
	return s.LoadWarningLists(ctx)
}
