// Package secure holds the headers every page Vigil serves to a browser
// carries: the web UI's and the action links' pages alike. It stands apart
// from package web so that the API, whose tests the UI's tests use, can
// set them too.
package secure

import "net/http"

// ContentSecurityPolicy allows a page to load only its own server's files
// and to talk only to its own server: no inline script or style, no
// frames, no plugins, no base-tag tricks.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Headers sets the security headers of a page.
func Headers(hdr http.Header) {
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "same-origin")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
}
