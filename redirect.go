package commet

import (
	"net/http"
)

// maxRedirects is how many redirects one GET follows.
const maxRedirects = 10

// protectRedirects returns a shallow copy of hc, which keeps using hc's
// transport, jar and timeout, with a redirect policy fit for an API key:
//
//   - a write (POST, PUT) is never redirected: net/http would follow a 301,
//     302 or 303 as a GET, silently turning an update into a read that
//     succeeds, and a 307 or 308 would send the write elsewhere. The
//     redirect itself comes back, and the call fails with its status;
//   - a GET follows at most maxRedirects redirects, then fails the same way;
//   - the key is never forwarded to another origin (scheme and host).
//
// hc's own CheckRedirect, if any, still has its say on what is followed.
func protectRedirects(hc *http.Client) *http.Client {
	safe := *hc
	next := hc.CheckRedirect
	safe.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		first := via[0]
		if first.Method != http.MethodGet && first.Method != http.MethodHead || len(via) >= maxRedirects {
			return http.ErrUseLastResponse
		}
		if req.URL.Scheme != first.URL.Scheme || req.URL.Host != first.URL.Host {
			req.Header.Del("X-Api-Key")
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
	return &safe
}
