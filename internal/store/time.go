package store

import (
	"database/sql/driver"
	"fmt"
	"time"
)

// timeLayouts are the text forms SQLite may hand back for a timestamp.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05",
	"2006-01-02",
}

// Time scans a timestamp from either engine: PostgreSQL gives time.Time,
// SQLite gives time.Time for declared TIMESTAMP columns but text for
// expressions (MIN, MAX, COALESCE). NULL scans as the zero time, Valid false.
type Time struct {
	Time  time.Time
	Valid bool
}

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*t = Time{}
		return nil
	case time.Time:
		*t = Time{Time: x.UTC(), Valid: true}
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	case int64:
		*t = Time{Time: time.Unix(x, 0).UTC(), Valid: true}
		return nil
	}
	return fmt.Errorf("store: cannot scan %T into a time", v)
}

func (t *Time) parse(s string) error {
	for _, l := range timeLayouts {
		if p, err := time.Parse(l, s); err == nil {
			*t = Time{Time: p.UTC(), Valid: true}
			return nil
		}
	}
	return fmt.Errorf("store: cannot parse time %q", s)
}

// Value implements driver.Valuer; the zero Time is NULL.
func (t Time) Value() (driver.Value, error) {
	if !t.Valid {
		return nil, nil
	}
	return t.Time.UTC(), nil
}

// Ptr returns a pointer to the time, or nil when not valid.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}

// NullTime returns a value for an optional timestamp argument.
func NullTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.UTC()
}
