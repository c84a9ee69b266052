package auth

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/access"
	"bulwark/internal/audit"
	"bulwark/internal/errs"
	"bulwark/internal/store"
)

// User is an account as shown to those allowed to read it. It never holds
// the password hash or the TOTP secret.
type User struct {
	ID          int64
	Email       string
	Name        string
	Title       string
	Phone       string
	AgencyID    int64
	AgencyCode  string
	AgencyName  string // Vietnamese name of the agency
	Roles       []access.Role
	Disabled    bool
	TOTPEnabled bool
	// LockedUntil is set only while the account is locked.
	LockedUntil *time.Time
	LastLoginAt *time.Time
	Lang        string
	CreatedAt   time.Time
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Email      string
	Name       string
	Title      string
	Phone      string
	AgencyCode string
	Password   string
	Roles      []access.Role
}

// UserFilter narrows ListUsers. Query matches email or name, ignoring
// ASCII case. Limit defaults to 50 and is capped at 500.
type UserFilter struct {
	AgencyID int64
	Query    string
	Limit    int
	Offset   int
}

const userColumns = `u.id, u.email, u.name, u.title, u.phone, u.agency_id, a.code, a.name_vi,
	u.disabled, u.totp_enabled, u.locked_until, u.last_login_at, u.lang, u.created_at`

const userFrom = ` FROM users u JOIN agencies a ON a.id = u.agency_id`

type scanner interface{ Scan(...any) error }

func (s *Service) scanUser(r scanner) (User, error) {
	var u User
	var locked, last, created store.Time
	err := r.Scan(&u.ID, &u.Email, &u.Name, &u.Title, &u.Phone, &u.AgencyID, &u.AgencyCode, &u.AgencyName,
		&u.Disabled, &u.TOTPEnabled, &locked, &last, &u.Lang, &created)
	if err != nil {
		return u, err
	}
	if locked.Valid && locked.Time.After(s.now()) {
		u.LockedUntil = locked.Ptr()
	}
	u.LastLoginAt = last.Ptr()
	u.CreatedAt = created.Time
	return u, nil
}

// loadRoles fills the roles of users, in display order.
func loadRoles(ctx context.Context, q store.Querier, users []User) error {
	if len(users) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(users))
	ph := make([]string, len(users))
	args := make([]any, len(users))
	for i, u := range users {
		idx[u.ID] = i
		ph[i] = "?"
		args[i] = u.ID
	}
	rows, err := q.Query(ctx, `SELECT user_id, role FROM user_roles WHERE user_id IN (`+strings.Join(ph, ",")+`)`, args...)
	if err != nil {
		return fmt.Errorf("auth: load roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var r string
		if err := rows.Scan(&id, &r); err != nil {
			return fmt.Errorf("auth: load roles: %w", err)
		}
		u := &users[idx[id]]
		u.Roles = append(u.Roles, access.Role(r))
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("auth: load roles: %w", err)
	}
	for i := range users {
		slices.SortFunc(users[i].Roles, func(a, b access.Role) int {
			return slices.Index(access.Roles, a) - slices.Index(access.Roles, b)
		})
	}
	return nil
}

// getUser reads one user without checking access.
func (s *Service) getUser(ctx context.Context, q store.Querier, where string, arg any) (User, error) {
	u, err := s.scanUser(q.QueryRow(ctx, `SELECT `+userColumns+userFrom+` WHERE `+where, arg))
	if errs.Is(err, errs.NotFound) {
		return User{}, errs.Wrap(errs.NotFound, err, "user not found")
	}
	if err != nil {
		return User{}, fmt.Errorf("auth: read user: %w", err)
	}
	us := []User{u}
	if err := loadRoles(ctx, q, us); err != nil {
		return User{}, err
	}
	return us[0], nil
}

// CreateUser adds an account. Only admins and the system may call it. It
// validates the email (stored lower-case, unique), name, title, phone,
// roles, the agency (by code, must be active) and the password policy, and
// records "user.create".
func (s *Service) CreateUser(ctx context.Context, nu NewUser) (User, error) {
	if _, err := s.requireManager(ctx, 0, "create users"); err != nil {
		return User{}, err
	}
	email, err := normEmail(nu.Email)
	if err != nil {
		return User{}, err
	}
	name, err := text("name", nu.Name, MaxNameLen, true)
	if err != nil {
		return User{}, err
	}
	title, err := text("title", nu.Title, MaxTitleLen, false)
	if err != nil {
		return User{}, err
	}
	ph, err := phone(nu.Phone)
	if err != nil {
		return User{}, err
	}
	code, err := text("agency", nu.AgencyCode, MaxAgencyCodeLen, true)
	if err != nil {
		return User{}, err
	}
	roles, err := normRoles(nu.Roles)
	if err != nil {
		return User{}, err
	}
	if err := CheckPassword(nu.Password, s.cfg.MinPasswordLen, email, name); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(nu.Password, s.cfg.Argon2)
	if err != nil {
		return User{}, err
	}
	now := s.clock()
	var id int64
	err = s.db.Transact(ctx, func(tx *store.Tx) error {
		var agencyID int64
		var active bool
		err := tx.QueryRow(ctx, `SELECT id, active FROM agencies WHERE code = ?`, code).Scan(&agencyID, &active)
		if errs.Is(err, errs.NotFound) {
			return errs.Field("agency", "no agency has the code %q", code)
		}
		if err != nil {
			return fmt.Errorf("auth: find agency: %w", err)
		}
		if !active {
			return errs.Field("agency", "agency %q is no longer active", code)
		}
		err = tx.QueryRow(ctx, `INSERT INTO users (email, name, title, phone, agency_id, password_hash, password_changed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			email, name, title, ph, agencyID, hash, now, now, now).Scan(&id)
		if errs.Is(err, errs.Conflict) {
			return &errs.Error{Kind: errs.Conflict, Field: "email", Msg: "a user with this email address already exists", Err: err}
		}
		if err != nil {
			return fmt.Errorf("auth: insert user: %w", err)
		}
		if err := insertRoles(ctx, tx, id, roles); err != nil {
			return err
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "user.create", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10),
			Detail: fmt.Sprintf("email=%s agency=%s roles=%s", email, code, rolesString(roles))})
	})
	if err != nil {
		return User{}, err
	}
	return s.getUser(ctx, s.db, "u.id = ?", id)
}

func insertRoles(ctx context.Context, tx *store.Tx, userID int64, roles []access.Role) error {
	for _, r := range roles {
		if _, err := tx.Exec(ctx, `INSERT INTO user_roles (user_id, role) VALUES (?, ?)`, userID, string(r)); err != nil {
			return fmt.Errorf("auth: insert role: %w", err)
		}
	}
	return nil
}

// ListUsers returns one page of users and the total matching: admins see
// everyone (optionally one agency), coordinators their own agency, anyone
// else only themselves. Ordered by name.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]User, int, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, 0, err
	}
	query, err := text("query", f.Query, MaxQueryLen, false)
	if err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 {
		f.Limit = defaultListLimit
	}
	f.Limit = min(f.Limit, maxListLimit)
	f.Offset = max(0, min(f.Offset, maxOffset))
	var where []string
	var args []any
	switch {
	case p.Has(access.Admin):
		if f.AgencyID != 0 {
			where, args = append(where, "u.agency_id = ?"), append(args, f.AgencyID)
		}
	case p.Has(access.Coordinator):
		if f.AgencyID != 0 && f.AgencyID != p.AgencyID {
			return nil, 0, s.log.Denied(ctx, "list users of another agency", "agency", strconv.FormatInt(f.AgencyID, 10))
		}
		where, args = append(where, "u.agency_id = ?"), append(args, p.AgencyID)
	default:
		where, args = append(where, "u.id = ?"), append(args, p.UserID)
	}
	if query != "" {
		pat := "%" + escapeLike(strings.ToLower(query)) + "%"
		where = append(where, `(lower(u.email) LIKE ? ESCAPE '\' OR lower(u.name) LIKE ? ESCAPE '\')`)
		args = append(args, pat, pat)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*)`+userFrom+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("auth: count users: %w", err)
	}
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+userFrom+cond+` ORDER BY lower(u.name), u.id LIMIT ? OFFSET ?`,
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("auth: list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("auth: list users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("auth: list users: %w", err)
	}
	if err := loadRoles(ctx, s.db, out); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetUser returns a user the caller may read (access.CanReadUser): NotFound
// when there is none, Forbidden (recorded) when the caller may not.
func (s *Service) GetUser(ctx context.Context, id int64) (User, error) {
	p, err := caller(ctx)
	if err != nil {
		return User{}, err
	}
	u, err := s.getUser(ctx, s.db, "u.id = ?", id)
	if err != nil {
		return User{}, err
	}
	if !access.CanReadUser(p, u.ID, u.AgencyID) {
		return User{}, s.log.Denied(ctx, "read this user", "user", strconv.FormatInt(id, 10))
	}
	return u, nil
}

// UserByEmail is GetUser by email address (any case).
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	p, err := caller(ctx)
	if err != nil {
		return User{}, err
	}
	e, err := lookupEmail(email)
	if err != nil {
		return User{}, err
	}
	u, err := s.getUser(ctx, s.db, "u.email = ?", e)
	if err != nil {
		return User{}, err
	}
	if !access.CanReadUser(p, u.ID, u.AgencyID) {
		return User{}, s.log.Denied(ctx, "read this user", "user", strconv.FormatInt(u.ID, 10))
	}
	return u, nil
}

// CountUsers returns the number of accounts, disabled ones included. It
// checks no rights: start-up uses it to offer creating the first admin.
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("auth: count users: %w", err)
	}
	return n, nil
}

// requireManager checks the caller may manage users, recording a denial
// otherwise. It runs before any transaction: the denial is written in a
// transaction of its own, and SQLite has a single writer.
func (s *Service) requireManager(ctx context.Context, id int64, action string) (*access.Principal, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !access.CanManageUsers(p) {
		obj := ""
		if id != 0 {
			obj = strconv.FormatInt(id, 10)
		}
		return nil, s.log.Denied(ctx, action, "user", obj)
	}
	return p, nil
}

// otherActiveAdmins counts enabled admins other than id. Callers hold
// lockAdmins so two demotions cannot both pass the check.
func otherActiveAdmins(ctx context.Context, tx *store.Tx, id int64) (int, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users u JOIN user_roles r ON r.user_id = u.id
		WHERE r.role = ? AND NOT u.disabled AND u.id <> ?`, string(access.Admin), id).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("auth: count admins: %w", err)
	}
	return n, nil
}

// SetDisabled disables or re-enables an account. Admins only; an admin
// cannot disable themselves nor the last active admin. Disabling ends the
// user's sessions at once, and their API tokens stop working (they are
// checked against the account on every use). Records "user.disable" or
// "user.enable"; a call that changes nothing records nothing.
func (s *Service) SetDisabled(ctx context.Context, id int64, disabled bool) error {
	verb := "enable users"
	if disabled {
		verb = "disable users"
	}
	p, err := s.requireManager(ctx, id, verb)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := lockPostgres(ctx, tx, lockAdmins); err != nil {
			return err
		}
		u, err := s.getUser(ctx, tx, "u.id = ?", id)
		if err != nil {
			return err
		}
		if u.Disabled == disabled {
			return nil
		}
		if disabled {
			if p.UserID == id {
				return errs.E(errs.Invalid, "you cannot disable your own account")
			}
			if slices.Contains(u.Roles, access.Admin) {
				n, err := otherActiveAdmins(ctx, tx, id)
				if err != nil {
					return err
				}
				if n == 0 {
					return errs.E(errs.Conflict, "this is the last active admin; make another admin first")
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`, disabled, s.clock(), id); err != nil {
			return fmt.Errorf("auth: set disabled: %w", err)
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return fmt.Errorf("auth: end sessions: %w", err)
			}
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: action, ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), Detail: "email=" + u.Email})
	})
}

// ResetPassword sets a new password for a user (admins and the system),
// applying the password policy. It clears a lock and the failure count and
// ends the user's sessions. Records "user.password_reset".
func (s *Service) ResetPassword(ctx context.Context, id int64, password string) error {
	if _, err := s.requireManager(ctx, id, "reset passwords"); err != nil {
		return err
	}
	u, err := s.getUser(ctx, s.db, "u.id = ?", id)
	if err != nil {
		return err
	}
	if err := CheckPassword(password, s.cfg.MinPasswordLen, u.Email, u.Name); err != nil {
		return err
	}
	hash, err := HashPassword(password, s.cfg.Argon2)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		now := s.clock()
		res, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, locked_until = NULL, updated_at = ? WHERE id = ?`,
			hash, now, now, id)
		if err != nil {
			return fmt.Errorf("auth: reset password: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "user not found")
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("auth: end sessions: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "user.password_reset", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), Detail: "email=" + u.Email})
	})
}

// ChangePassword changes the caller's own password after checking the
// current one. A wrong current password counts as a failed login (it is a
// guessing oracle otherwise) and can lock the account. On success every
// other session of the user ends; the one named by WithSessionID in ctx, if
// any, stays. Records "user.password_change".
func (s *Service) ChangePassword(ctx context.Context, oldPassword, newPassword string) error {
	p, err := self(ctx, "changing a password")
	if err != nil {
		return err
	}
	if len(oldPassword) > MaxPasswordBytes {
		return errs.Field("old_password", "wrong current password")
	}
	a, err := s.account(ctx, s.db, "u.id = ?", p.UserID)
	if err != nil {
		return err
	}
	if err := CheckPassword(newPassword, s.cfg.MinPasswordLen, a.email, a.name); err != nil {
		return err
	}
	if oldPassword == newPassword {
		return errs.Field("password", "the new password must differ from the current one")
	}
	if err := s.checkLocked(ctx, a, ""); err != nil {
		return err
	}
	n, err := s.reserve(ctx, a, "")
	if err != nil {
		return err
	}
	if err := s.slowDown(ctx, n); err != nil {
		return err
	}
	if !s.verify(oldPassword, a.hash) {
		if err := s.failed(ctx, a, n, "", "wrong current password on password change"); errs.Is(err, errs.RateLimited) {
			return err
		}
		return errs.Field("old_password", "wrong current password")
	}
	hash, err := HashPassword(newPassword, s.cfg.Argon2)
	if err != nil {
		return err
	}
	keep := ""
	if sid := sessionIDFrom(ctx); sid != "" {
		keep = sha256Hex(sid)
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		now := s.clock()
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, failed_logins = 0, updated_at = ? WHERE id = ?`,
			hash, now, now, a.id); err != nil {
			return fmt.Errorf("auth: change password: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, a.id, keep); err != nil {
			return fmt.Errorf("auth: end other sessions: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "user.password_change", ObjectType: "user", ObjectID: strconv.FormatInt(a.id, 10)})
	})
}

// SetRoles replaces a user's roles. Admins only; the last active admin
// keeps the admin role. The change applies from the user's next request.
// Records "user.roles".
func (s *Service) SetRoles(ctx context.Context, id int64, roles []access.Role) error {
	if _, err := s.requireManager(ctx, id, "change roles"); err != nil {
		return err
	}
	roles, err := normRoles(roles)
	if err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *store.Tx) error {
		if err := lockPostgres(ctx, tx, lockAdmins); err != nil {
			return err
		}
		u, err := s.getUser(ctx, tx, "u.id = ?", id)
		if err != nil {
			return err
		}
		if slices.Equal(u.Roles, roles) {
			return nil
		}
		if slices.Contains(u.Roles, access.Admin) && !slices.Contains(roles, access.Admin) && !u.Disabled {
			n, err := otherActiveAdmins(ctx, tx, id)
			if err != nil {
				return err
			}
			if n == 0 {
				return errs.E(errs.Conflict, "this is the last active admin; make another admin first")
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("auth: set roles: %w", err)
		}
		if err := insertRoles(ctx, tx, id, roles); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET updated_at = ? WHERE id = ?`, s.clock(), id); err != nil {
			return fmt.Errorf("auth: set roles: %w", err)
		}
		return s.log.Record(ctx, tx, audit.Entry{Action: "user.roles", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10),
			Detail: fmt.Sprintf("email=%s from=%s to=%s", u.Email, rolesString(u.Roles), rolesString(roles))})
	})
}

// SetLang sets the caller's own interface language: "vi" or "en".
func (s *Service) SetLang(ctx context.Context, lang string) error {
	p, err := self(ctx, "setting the language")
	if err != nil {
		return err
	}
	if lang != "vi" && lang != "en" {
		return errs.Field("lang", "language must be \"vi\" or \"en\"")
	}
	if _, err := s.db.Exec(ctx, `UPDATE users SET lang = ?, updated_at = ? WHERE id = ?`, lang, s.clock(), p.UserID); err != nil {
		return fmt.Errorf("auth: set language: %w", err)
	}
	return nil
}

// Principal builds the access.Principal of a user: roles, agency id, code
// and kind, Standing when the agency's kind is "standing". It checks no
// rights (the web layer calls it after its own authentication, e.g. OIDC);
// a disabled or unknown account gives errs.Unauthorized.
func (s *Service) Principal(ctx context.Context, userID int64) (*access.Principal, error) {
	return principal(ctx, s.db, userID)
}

func principal(ctx context.Context, q store.Querier, userID int64) (*access.Principal, error) {
	var r principalRow
	err := q.QueryRow(ctx, `SELECT `+principalColumns+principalFrom+` WHERE u.id = ?`, userID).Scan(r.dest()...)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.Unauthorized, "unknown account")
	}
	if err != nil {
		return nil, fmt.Errorf("auth: principal %d: %w", userID, err)
	}
	return r.finish(ctx, q)
}

// principalColumns and principalFrom select what a Principal needs, so
// session and token checks read it in the same query as the credential.
const (
	principalColumns = `u.id, u.email, u.name, u.agency_id, a.code, a.kind, u.disabled`
	principalFrom    = ` FROM users u JOIN agencies a ON a.id = u.agency_id`
)

type principalRow struct {
	p        access.Principal
	disabled bool
}

func (r *principalRow) dest() []any {
	return []any{&r.p.UserID, &r.p.Email, &r.p.Name, &r.p.AgencyID, &r.p.AgencyCode, &r.p.AgencyKind, &r.disabled}
}

// finish refuses a disabled account and loads the roles.
func (r *principalRow) finish(ctx context.Context, q store.Querier) (*access.Principal, error) {
	if r.disabled {
		return nil, errs.E(errs.Unauthorized, "this account is disabled")
	}
	p := r.p
	p.Standing = p.AgencyKind == "standing"
	rows, err := q.Query(ctx, `SELECT role FROM user_roles WHERE user_id = ?`, p.UserID)
	if err != nil {
		return nil, fmt.Errorf("auth: load roles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var role string
		if err := rows.Scan(&role); err != nil {
			return nil, fmt.Errorf("auth: load roles: %w", err)
		}
		p.Roles = append(p.Roles, access.Role(role))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("auth: load roles: %w", err)
	}
	slices.SortFunc(p.Roles, func(a, b access.Role) int {
		return slices.Index(access.Roles, a) - slices.Index(access.Roles, b)
	})
	return &p, nil
}
