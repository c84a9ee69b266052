// Package e2e holds end-to-end browser tests: the real application served
// on a local port and driven through headless Chromium over the Chrome
// DevTools protocol (chromedp). The package has no code of its own beyond
// this comment; see harness_test.go for the helpers.
package e2e
