package ui

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"
	"net/http"
	"strings"

	"github.com/pquerna/otp"

	"bulwark/internal/access"
	"bulwark/internal/errs"
	"bulwark/internal/i18n"
	"bulwark/internal/web"
)

func userOf(r *http.Request) *access.Principal { return access.From(r.Context()) }

type loginPage struct {
	Page
	Email string
	Next  string
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) error {
	if userOf(r) != nil {
		return redirect(w, r, "/")
	}
	p := h.page(r, "", "")
	p.Title = p.L.T("login.title")
	return h.render(w, http.StatusOK, "login", loginPage{Page: p, Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) error {
	ip := web.ClientIP(r, h.cfg.TrustProxy)
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := safeNext(r.PostFormValue("next"))
	p := h.page(r, "", "")
	p.Title = p.L.T("login.title")
	if !h.loginLim.Allow(ip) {
		p.Error = p.L.T("login.too_many")
		return h.render(w, http.StatusTooManyRequests, "login", loginPage{Page: p, Email: email, Next: next})
	}
	res, err := h.auth.Login(r.Context(), email, r.PostFormValue("password"), ip, r.UserAgent())
	if err != nil {
		status := web.Status(errs.KindOf(err))
		switch errs.KindOf(err) {
		case errs.Unauthorized:
			p.Error = p.L.T("login.failed")
		case errs.RateLimited, errs.Invalid:
			p.Error = p.L.Error(err)
		default:
			return err
		}
		return h.render(w, status, "login", loginPage{Page: p, Email: email, Next: next})
	}
	// The browser's previous session (if any) ends here: a new one was
	// issued, and the old must not stay usable.
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		_ = h.auth.Logout(r.Context(), c.Value)
	}
	h.setCookie(w, sessionCookie, res.Session.ID, 0, http.SameSiteLaxMode)
	// A device that never chose a language gets the one saved with the
	// account; a choice made on this device wins.
	if _, err := r.Cookie(langCookie); err != nil && res.Lang != "" {
		h.setCookie(w, langCookie, i18n.Supported(res.Lang), 365*24*3600, http.SameSiteLaxMode)
	}
	if res.NeedTOTP {
		return redirect(w, r, "/login/totp?next="+urlQuery(next))
	}
	if res.NeedEnrol {
		return redirect(w, r, "/account/totp?flash=flash.totp_required")
	}
	return redirect(w, r, next)
}

func urlQuery(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "%", "%25"), "&", "%26")
}

func (h *Handler) totpForm(w http.ResponseWriter, r *http.Request) error {
	if !mfaPending(r) {
		return redirect(w, r, "/login")
	}
	p := h.page(r, "", "")
	p.Title = p.L.T("totp.title")
	return h.render(w, http.StatusOK, "totp", loginPage{Page: p, Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) totpLogin(w http.ResponseWriter, r *http.Request) error {
	c, err := r.Cookie(sessionCookie)
	if err != nil || !mfaPending(r) {
		return redirect(w, r, "/login")
	}
	next := safeNext(r.PostFormValue("next"))
	ip := web.ClientIP(r, h.cfg.TrustProxy)
	p := h.page(r, "", "")
	p.Title = p.L.T("totp.title")
	if !h.loginLim.Allow(ip) {
		p.Error = p.L.T("login.too_many")
		return h.render(w, http.StatusTooManyRequests, "totp", loginPage{Page: p, Next: next})
	}
	sess, err := h.auth.CompleteTOTP(r.Context(), c.Value, r.PostFormValue("code"))
	if err != nil {
		switch errs.KindOf(err) {
		case errs.Unauthorized, errs.Invalid:
			p.Error = p.L.T("totp.failed")
			return h.render(w, http.StatusUnauthorized, "totp", loginPage{Page: p, Next: next})
		case errs.RateLimited:
			p.Error = p.L.Error(err)
			return h.render(w, http.StatusTooManyRequests, "totp", loginPage{Page: p, Next: next})
		}
		return err
	}
	h.setCookie(w, sessionCookie, sess.ID, 0, http.SameSiteLaxMode)
	return redirect(w, r, next)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil {
		_ = h.auth.Logout(r.Context(), c.Value)
	}
	h.setCookie(w, sessionCookie, "", -1, http.SameSiteLaxMode)
	return redirect(w, r, "/login")
}

// setLang switches the interface language; it persists in a cookie and,
// for signed-in users, in their profile.
func (h *Handler) setLang(w http.ResponseWriter, r *http.Request) error {
	lang := i18n.Supported(r.PostFormValue("lang"))
	h.setCookie(w, langCookie, lang, 365*24*3600, http.SameSiteLaxMode)
	if userOf(r) != nil {
		if err := h.auth.SetLang(r.Context(), lang); err != nil {
			return err
		}
	}
	return redirect(w, r, safeNext(r.PostFormValue("next")))
}

type accountPage struct {
	Page
	TOTPEnabled  bool
	TOTPRequired bool
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	usr, err := h.auth.GetUser(r.Context(), u.UserID)
	if err != nil {
		return err
	}
	p := h.page(r, "", "account")
	p.Title = p.L.T("account.title")
	return h.render(w, http.StatusOK, "account", accountPage{Page: p, TOTPEnabled: usr.TOTPEnabled, TOTPRequired: h.auth.TOTPRequired(usr)})
}

func (h *Handler) accountPassword(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	err := h.auth.ChangePassword(r.Context(), r.PostFormValue("old"), r.PostFormValue("new"))
	if err != nil {
		p := h.page(r, "", "account")
		p.Title = p.L.T("account.title")
		if errs.KindOf(err) == errs.Unauthorized {
			err = errs.Field("old", "%s", p.L.T("account.old_wrong"))
		}
		if !formError(&p, err) {
			return err
		}
		return h.render(w, http.StatusBadRequest, "account", accountPage{Page: p})
	}
	return redirect(w, r, withFlash("/account", "flash.password_changed"))
}

type totpPage struct {
	Page
	Secret   string
	URL      string
	QR       template.URL // data: URI of a PNG
	Codes    []string
	Required bool
}

func (h *Handler) totpEnrol(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	usr, err := h.auth.GetUser(r.Context(), u.UserID)
	if err != nil {
		return err
	}
	p := h.page(r, "", "account")
	p.Title = p.L.T("totp.enrol_title")
	if usr.TOTPEnabled {
		return redirect(w, r, "/account")
	}
	secret, otpURL, err := h.auth.BeginTOTP(r.Context())
	if err != nil {
		return err
	}
	return h.render(w, http.StatusOK, "totp_enrol", totpPage{Page: p, Secret: secret, URL: otpURL, QR: qrDataURI(otpURL), Required: h.auth.TOTPRequired(usr)})
}

// qrDataURI renders the otpauth URL as a QR code image for authenticator
// apps; an inline data: image is allowed by the CSP, a script is not needed.
func qrDataURI(otpURL string) template.URL {
	key, err := otp.NewKeyFromURL(otpURL)
	if err != nil {
		return ""
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
}

func (h *Handler) totpConfirm(w http.ResponseWriter, r *http.Request) error {
	if _, err := requireUser(r); err != nil {
		return err
	}
	codes, err := h.auth.ConfirmTOTP(r.Context(), r.PostFormValue("code"))
	p := h.page(r, "", "account")
	p.Title = p.L.T("totp.enrol_title")
	if err != nil {
		if k := errs.KindOf(err); k != errs.Invalid && k != errs.Unauthorized {
			return err
		}
		secret, otpURL, err := h.auth.BeginTOTP(r.Context())
		if err != nil {
			return err
		}
		p.Error = p.L.T("totp.failed")
		return h.render(w, http.StatusBadRequest, "totp_enrol", totpPage{Page: p, Secret: secret, URL: otpURL, QR: qrDataURI(otpURL)})
	}
	return h.render(w, http.StatusOK, "totp_enrol", totpPage{Page: p, Codes: codes})
}

func (h *Handler) totpDisable(w http.ResponseWriter, r *http.Request) error {
	u, err := requireUser(r)
	if err != nil {
		return err
	}
	if err := h.auth.DisableTOTP(r.Context(), u.UserID); err != nil {
		return err
	}
	return redirect(w, r, withFlash("/account", "flash.totp_disabled"))
}
