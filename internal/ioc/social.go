package ioc

import (
	"net/url"
	"strings"
)

// Social platforms, the first half of a canonical social profile.
const (
	PlatformFacebook  = "facebook"
	PlatformZalo      = "zalo"
	PlatformTikTok    = "tiktok"
	PlatformTelegram  = "telegram"
	PlatformYouTube   = "youtube"
	PlatformInstagram = "instagram"
	PlatformX         = "x"
)

// NormalizeSocial returns a social profile as "platform:handle" from a
// profile link ("https://www.facebook.com/some.page?ref=share",
// "t.me/scam_bot", "zalo.me/0912345678") or from that form itself
// ("facebook:somepage", also "fb:", "twitter:", "tg:", "ig:", "yt:").
// Tracking parameters and sub-pages (/about, /posts/...) are dropped.
// Handles are lower-cased on platforms that ignore case. The forms are:
//
//	facebook:<username without dots> | facebook:<numeric id> | facebook:groups/<name or id>
//	zalo:<E.164 phone> | zalo:<numeric id> | zalo:g/<group code>
//	tiktok:<handle>              (from tiktok.com/@handle)
//	telegram:<username> | telegram:+<invite code> | telegram:<E.164 phone>
//	youtube:<handle> (from /@handle) | youtube:channel/<UC id> | youtube:c/<name> | youtube:user/<name>
//	instagram:<username>
//	x:<username>                 (twitter.com and x.com)
//
// Facebook ignores dots and case in usernames, so "John.Smith" and
// "johnsmith" are one profile. Short links (vm.tiktok.com, fb.me/share...)
// and links to posts rather than profiles are rejected with a message:
// they cannot be resolved without fetching them.
func NormalizeSocial(raw string) (string, error) {
	s, err := prepare(TypeSocial, raw)
	if err != nil {
		return "", err
	}
	if platform, handle, ok := splitSocialPair(s); ok {
		segs := strings.Split(handle, "/")
		if (platform == PlatformTikTok || platform == PlatformYouTube) && len(segs) == 1 && !strings.HasPrefix(handle, "@") {
			segs[0] = "@" + segs[0]
		}
		return socialFromPath(platform, "", segs, nil)
	}
	if strings.HasPrefix(s, "@") {
		return "", invalid(TypeSocial, "a handle alone does not say which platform it is on; paste the profile link or write platform:handle, such as tiktok:name")
	}
	u, err := NormalizeURL(s)
	if err != nil {
		if e, ok := err.(*Error); ok {
			return "", &Error{Type: TypeSocial, Reason: "not a profile link: " + e.Reason, Err: e.Err}
		}
		return "", err
	}
	out, isSocial, err := socialFromURL(u)
	if !isSocial {
		return "", invalid(TypeSocial, "the link is not on a supported platform (Facebook, Zalo, TikTok, Telegram, YouTube, Instagram, X)")
	}
	return out, err
}

// splitSocialPair recognises "platform:handle" (with the usual aliases).
func splitSocialPair(s string) (platform, handle string, ok bool) {
	p, h, ok := strings.Cut(s, ":")
	if !ok || strings.HasPrefix(h, "//") {
		return "", "", false
	}
	switch strings.ToLower(p) {
	case "facebook", "fb":
		return PlatformFacebook, h, true
	case "zalo":
		return PlatformZalo, h, true
	case "tiktok":
		return PlatformTikTok, h, true
	case "telegram", "tg":
		return PlatformTelegram, h, true
	case "youtube", "yt":
		return PlatformYouTube, h, true
	case "instagram", "ig":
		return PlatformInstagram, h, true
	case "x", "twitter":
		return PlatformX, h, true
	}
	return "", "", false
}

// socialFromURL maps a canonical URL (from NormalizeURL) to a profile.
// isSocial is false when the host belongs to no supported platform.
func socialFromURL(canonical string) (out string, isSocial bool, err error) {
	u, err := url.Parse(canonical)
	if err != nil {
		return "", false, nil
	}
	host := u.Hostname()
	reg, err := RegisteredDomain(host)
	if err != nil {
		return "", false, nil
	}
	var platform string
	switch reg {
	case "facebook.com", "fb.com", "fb.me", "m.me":
		platform = PlatformFacebook
		if host == "l.facebook.com" || host == "lm.facebook.com" {
			return "", true, invalid(TypeSocial, "this is a Facebook redirect link; use the address it points to")
		}
	case "zalo.me":
		platform = PlatformZalo
	case "tiktok.com":
		platform = PlatformTikTok
		if host == "vm.tiktok.com" || host == "vt.tiktok.com" {
			return "", true, shortLinkError()
		}
	case "t.me", "telegram.me", "telegram.dog":
		platform = PlatformTelegram
	case "youtube.com":
		platform = PlatformYouTube
	case "youtu.be":
		return "", true, invalid(TypeSocial, "this is a link to a YouTube video, not to a channel")
	case "instagram.com", "instagr.am":
		platform = PlatformInstagram
	case "twitter.com", "x.com":
		platform = PlatformX
	default:
		return "", false, nil
	}
	var segs []string
	for _, seg := range strings.Split(u.EscapedPath(), "/") {
		if seg != "" {
			segs = append(segs, seg)
		}
	}
	out, err = socialFromPath(platform, reg, segs, u.Query())
	return out, true, err
}

func shortLinkError() error {
	return invalid(TypeSocial, "short links cannot be resolved here; open it and copy the address of the profile it leads to")
}

func notProfile(platform string) error {
	return invalid(TypeSocial, "this %s link is not a link to a profile; open the profile and copy its address", platformName(platform))
}

func platformName(p string) string {
	switch p {
	case PlatformFacebook:
		return "Facebook"
	case PlatformZalo:
		return "Zalo"
	case PlatformTikTok:
		return "TikTok"
	case PlatformTelegram:
		return "Telegram"
	case PlatformYouTube:
		return "YouTube"
	case PlatformInstagram:
		return "Instagram"
	case PlatformX:
		return "X (Twitter)"
	}
	return p
}

// socialFromPath reads a profile from the non-empty path segments of a
// platform link; reg is the link's registered domain ("" for the
// "platform:handle" form).
func socialFromPath(platform, reg string, segs []string, q url.Values) (string, error) {
	if len(segs) == 0 || segs[0] == "" {
		if platform == PlatformFacebook && q.Get("id") != "" {
			segs = []string{"profile.php"}
		} else {
			return "", notProfile(platform)
		}
	}
	var handle string
	var err error
	switch platform {
	case PlatformFacebook:
		handle, err = facebookHandle(reg, segs, q)
	case PlatformZalo:
		handle, err = zaloHandle(segs)
	case PlatformTikTok:
		handle, err = tiktokHandle(segs)
	case PlatformTelegram:
		handle, err = telegramHandle(segs)
	case PlatformYouTube:
		handle, err = youtubeHandle(segs)
	case PlatformInstagram:
		handle, err = instagramHandle(segs)
	case PlatformX:
		handle, err = xHandle(segs)
	}
	if err != nil {
		return "", err
	}
	return platform + ":" + handle, nil
}

// facebookReserved are first path segments of facebook.com that are not
// profiles.
func facebookReserved(seg string) bool {
	switch seg {
	case "share", "sharer", "sharer.php", "story.php", "permalink.php", "photo.php", "photo",
		"photos", "watch", "reel", "reels", "events", "marketplace", "login", "login.php",
		"home.php", "l.php", "hashtag", "search", "messages", "notifications", "gaming",
		"help", "policies", "privacy", "settings", "friends", "stories", "video.php",
		"videos", "media", "plugins", "dialog", "ads", "business", "posts", "t", "checkpoint",
		"people", "pages", "p", "groups", "profile.php", "profilephp", "sharerphp", "storyphp",
		"permalinkphp", "photophp", "loginphp", "homephp", "lphp", "videophp":
		return true
	}
	return false
}

func facebookHandle(reg string, segs []string, q url.Values) (string, error) {
	first := strings.ToLower(segs[0])
	switch first {
	case "profile.php":
		if id := q.Get("id"); isDigits(id, 1, 20) {
			return id, nil
		}
		return "", invalid(TypeSocial, "this Facebook profile link has no numeric id")
	case "people", "pages":
		// /people/Name/100012345678/ and /pages/Category/Name/123456/
		for i := len(segs) - 1; i > 0; i-- {
			if isDigits(segs[i], 1, 20) {
				return segs[i], nil
			}
		}
		return "", invalid(TypeSocial, "this Facebook link has no numeric profile id")
	case "p":
		// /p/Some-Name-100012345678/
		if len(segs) >= 2 {
			id := segs[1][strings.LastIndexByte(segs[1], '-')+1:]
			if isDigits(id, 1, 20) {
				return id, nil
			}
		}
		return "", invalid(TypeSocial, "this Facebook link has no numeric profile id")
	case "groups":
		if len(segs) < 2 || !isHandle(segs[1], 1, 100, ".-_") {
			return "", notProfile(PlatformFacebook)
		}
		return "groups/" + strings.ToLower(segs[1]), nil
	}
	if first == "share" || reg == "fb.me" && facebookReserved(first) {
		return "", shortLinkError()
	}
	if facebookReserved(first) {
		return "", notProfile(PlatformFacebook)
	}
	if isDigits(first, 1, 20) {
		return first, nil
	}
	// Facebook ignores case and dots in usernames.
	h := strings.ReplaceAll(first, ".", "")
	if !isHandle(first, 1, 50, ".") || h == "" {
		return "", invalid(TypeSocial, "not a valid Facebook username (letters, digits and dots)")
	}
	if facebookReserved(h) {
		return "", notProfile(PlatformFacebook)
	}
	return h, nil
}

func zaloHandle(segs []string) (string, error) {
	if segs[0] == "g" {
		if len(segs) < 2 || !isHandle(segs[1], 1, 64, "-_") {
			return "", notProfile(PlatformZalo)
		}
		return "g/" + segs[1], nil // group codes are case-sensitive
	}
	h := segs[0]
	if strings.HasPrefix(h, "+") || strings.HasPrefix(h, "0") || strings.HasPrefix(h, "84") {
		if p, err := NormalizePhone(h); err == nil {
			return p, nil
		}
	}
	if isDigits(h, 6, 24) {
		return h, nil // an official account or user id
	}
	return "", invalid(TypeSocial, "a Zalo link must hold a phone number or a numeric id")
}

func tiktokHandle(segs []string) (string, error) {
	h, ok := strings.CutPrefix(segs[0], "@")
	if !ok {
		if segs[0] == "t" {
			return "", shortLinkError()
		}
		return "", notProfile(PlatformTikTok)
	}
	if !isHandle(h, 1, 24, "._") {
		return "", invalid(TypeSocial, "not a valid TikTok username (letters, digits, _ and .)")
	}
	return strings.ToLower(h), nil
}

func telegramHandle(segs []string) (string, error) {
	first := segs[0]
	switch strings.ToLower(first) {
	case "s": // t.me/s/name is the web preview of a channel
		if len(segs) < 2 {
			return "", notProfile(PlatformTelegram)
		}
		first = segs[1]
	case "joinchat":
		if len(segs) < 2 {
			return "", notProfile(PlatformTelegram)
		}
		first = "+" + segs[1]
	}
	if code, ok := strings.CutPrefix(first, "+"); ok {
		if allDigits(code) {
			p, err := NormalizePhone(first)
			if err != nil {
				return "", invalid(TypeSocial, "this Telegram link holds a phone number that is not valid")
			}
			return p, nil
		}
		if !isHandle(code, 1, 64, "-_") {
			return "", invalid(TypeSocial, "not a valid Telegram invite code")
		}
		return "+" + code, nil // invite codes are case-sensitive
	}
	if telegramReserved(first) {
		return "", notProfile(PlatformTelegram)
	}
	// Usernames are 5-32 characters (some old ones 4), case-insensitive.
	if !isHandle(first, 4, 32, "_") {
		return "", invalid(TypeSocial, "not a valid Telegram username (4-32 letters, digits and _)")
	}
	return strings.ToLower(first), nil
}

func telegramReserved(seg string) bool {
	switch strings.ToLower(seg) {
	case "s", "joinchat", "c", "share", "addstickers", "addemoji", "iv", "proxy", "socks", "login":
		return true
	}
	return false
}

func youtubeHandle(segs []string) (string, error) {
	first := segs[0]
	if h, ok := strings.CutPrefix(first, "@"); ok {
		if !isHandle(h, 3, 30, "._-") {
			return "", invalid(TypeSocial, "not a valid YouTube handle")
		}
		return strings.ToLower(h), nil
	}
	switch first {
	case "channel":
		if len(segs) < 2 || !strings.HasPrefix(segs[1], "UC") || !isHandle(segs[1], 24, 24, "-_") {
			return "", invalid(TypeSocial, "not a valid YouTube channel id (UC followed by 22 characters)")
		}
		return "channel/" + segs[1], nil // ids are case-sensitive
	case "c", "user":
		if len(segs) < 2 || !isHandle(segs[1], 1, 100, "._-") {
			return "", notProfile(PlatformYouTube)
		}
		return first + "/" + strings.ToLower(segs[1]), nil
	}
	return "", notProfile(PlatformYouTube)
}

func instagramHandle(segs []string) (string, error) {
	h := segs[0]
	if strings.EqualFold(h, "stories") && len(segs) >= 2 {
		h = segs[1]
	}
	switch strings.ToLower(h) {
	case "stories", "p", "reel", "reels", "tv", "explore", "accounts", "direct", "about", "legal", "developer", "web":
		return "", notProfile(PlatformInstagram)
	}
	if !isHandle(h, 1, 30, "._") {
		return "", invalid(TypeSocial, "not a valid Instagram username (letters, digits, _ and .)")
	}
	return strings.ToLower(h), nil
}

func xHandle(segs []string) (string, error) {
	h := segs[0]
	switch strings.ToLower(h) {
	case "home", "i", "search", "explore", "intent", "share", "hashtag", "notifications",
		"messages", "settings", "login", "signup", "tos", "privacy", "compose", "logout":
		return "", notProfile(PlatformX)
	}
	if !isHandle(h, 1, 15, "_") {
		return "", invalid(TypeSocial, "not a valid X (Twitter) username (1-15 letters, digits and _)")
	}
	return strings.ToLower(h), nil
}

// isHandle reports whether s is min..max bytes of ASCII letters, digits
// and the bytes in extra.
func isHandle(s string, min, max int, extra string) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlpha(c) || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}

func isDigits(s string, min, max int) bool {
	return len(s) >= min && len(s) <= max && allDigits(s)
}
