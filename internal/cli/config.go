package cli

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"bulwark/internal/auth"
)

// Config is the process configuration, from flags and BULWARK_*
// environment variables (flags win).
type Config struct {
	Addr       string
	Data       string
	Database   string
	BaseURL    string
	LogLevel   string
	TrustProxy bool
	Require2FA bool
	TLSCert    string
	TLSKey     string
	// Demo serves the demo province (set by the demo command).
	Demo bool
	// SessionTTL is the idle lifetime of a login session.
	SessionTTL time.Duration
	// Argon2 is the password hashing cost; zero means the production
	// default. Tests lower it.
	Argon2 auth.Argon2
	// SecretKey is the file of the key that seals secrets stored in the
	// database; default secret.key in the data folder.
	SecretKey string
}

// env returns the environment value of BULWARK_<name>, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv("BULWARK_" + name); ok {
		return v
	}
	return def
}

func envBool(name string, def bool) bool {
	v, ok := os.LookupEnv("BULWARK_" + name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return def
	}
	return b
}

// storageFlags registers the flags every command that opens the database
// shares.
func storageFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Data, "data", env("DATA", "./data"), "data folder (SQLite database, files) [BULWARK_DATA]")
	fs.StringVar(&c.Database, "database", env("DATABASE", ""), "database URL: postgres://... selects PostgreSQL; default SQLite in the data folder [BULWARK_DATABASE]")
	fs.StringVar(&c.SecretKey, "secret-key-file", env("SECRET_KEY_FILE", ""), "key sealing secrets stored in the database (created mode 0600 if absent; servers sharing a database share it); default secret.key in the data folder [BULWARK_SECRET_KEY_FILE]")
	fs.StringVar(&c.LogLevel, "log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error [BULWARK_LOG_LEVEL]")
}

// serverFlags registers the flags of commands that serve HTTP.
func serverFlags(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Addr, "addr", env("ADDR", "127.0.0.1:8080"), "listen address [BULWARK_ADDR]")
	fs.StringVar(&c.BaseURL, "base-url", env("BASE_URL", ""), "public URL of the site, e.g. https://bulwark.example.gov.vn [BULWARK_BASE_URL]")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", envBool("TRUST_PROXY", false), "take the client address from X-Forwarded-For [BULWARK_TRUST_PROXY]")
	fs.BoolVar(&c.Require2FA, "require-2fa", envBool("REQUIRE_2FA", true), "require two-factor login for admins and coordinators [BULWARK_REQUIRE_2FA]")
	fs.StringVar(&c.TLSCert, "tls-cert", env("TLS_CERT", ""), "TLS certificate file; with --tls-key serves HTTPS [BULWARK_TLS_CERT]")
	fs.StringVar(&c.TLSKey, "tls-key", env("TLS_KEY", ""), "TLS key file [BULWARK_TLS_KEY]")
	ttl := env("SESSION_TTL", "12h")
	d, err := time.ParseDuration(ttl)
	if err != nil {
		d = 12 * time.Hour
	}
	fs.DurationVar(&c.SessionTTL, "session-ttl", d, "idle lifetime of a login session [BULWARK_SESSION_TTL]")
}

// DatabaseURL is the configured database, or the SQLite file in the data
// folder.
func (c Config) DatabaseURL() string {
	if c.Database != "" {
		return c.Database
	}
	return "sqlite:" + filepath.Join(c.Data, "bulwark.db")
}

// SecretKeyPath is the configured key file, or secret.key in the data
// folder.
func (c Config) SecretKeyPath() string {
	if c.SecretKey != "" {
		return c.SecretKey
	}
	return filepath.Join(c.Data, "secret.key")
}

// Secure reports whether cookies must be Secure: served over TLS, or behind
// an https base URL.
func (c Config) Secure() bool {
	return (c.TLSCert != "" && c.TLSKey != "") || strings.HasPrefix(c.BaseURL, "https://")
}

func (c Config) validate() error {
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	return nil
}
