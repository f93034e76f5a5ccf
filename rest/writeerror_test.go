package rest_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/rest"
)

// A conflict is a 409 that says when to retry, like a rate limit.
func TestConflictEnvelope(t *testing.T) {
	rec := httptest.NewRecorder()
	rest.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), apperr.New(apperr.Conflict, "changed; retry"))
	if rec.Code != http.StatusConflict || rec.Header().Get("Retry-After") != "1" || rec.Body.String() != `{"error":{"code":"conflict","message":"changed; retry"}}`+"\n" {
		t.Fatalf("%d %v %s", rec.Code, rec.Header(), rec.Body)
	}
}
