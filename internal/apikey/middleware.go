package apikey

import (
	"errors"
	"net/http"
	"strings"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/observe"
	"github.com/parleyhq/parley/internal/viewer"
)

// ErrorWriter renders an authentication failure in the API's own format.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err *apperr.Error)

// Middleware authenticates each request by its Bearer key and puts the
// viewer the key grants into the request context. Requests without a valid
// key never reach next. The key is looked up on every request (one
// statement), so a revoked key is refused on its next request.
func (a *Authenticator) Middleware(writeError ErrorWriter) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			headers := r.Header.Values("Authorization")
			if len(headers) > 1 {
				// Proxies and clients disagree on which of several wins;
				// answering for either could grant the wrong tenant.
				writeError(w, r, apperr.New(apperr.Unauthorized, "%d Authorization headers: send exactly one, `Authorization: Bearer sk_live_...` (or sk_test_...)", len(headers)))
				return
			}
			key, ok := bearer(r.Header.Get("Authorization"))
			if !ok {
				writeError(w, r, apperr.New(apperr.Unauthorized, "missing API key: send the header `Authorization: Bearer sk_live_...` (or sk_test_...)"))
				return
			}
			v, err := a.Authenticate(r.Context(), key)
			if errors.Is(err, ErrInvalid) {
				writeError(w, r, apperr.New(apperr.Unauthorized, "invalid API key: it is malformed, unknown or revoked"))
				return
			}
			if e, ok := apperr.OutOfTime(r.Context(), err); ok {
				writeError(w, r, e)
				return
			}
			if err != nil {
				a.logger().ErrorContext(r.Context(), "authenticating API key", "error", err)
				writeError(w, r, apperr.New(apperr.Unavailable, "the service cannot check API keys right now; retry shortly"))
				return
			}
			observe.SetOrganization(r.Context(), v.OrganizationID.String())
			next.ServeHTTP(w, r.WithContext(viewer.NewContext(r.Context(), v)))
		})
	}
}

func bearer(header string) (string, bool) {
	scheme, key, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	key = strings.TrimSpace(key)
	return key, key != ""
}
