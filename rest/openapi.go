package rest

import (
	_ "embed"
	"net/http"

	"github.com/parleyhq/parley/internal/apperr"
)

// openAPI is the OpenAPI 3.1 description of this API. A test validates real
// responses against it, so it cannot drift from the code.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI serves the document. It needs no API key.
func OpenAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		WriteError(w, r, apperr.New(apperr.MethodNotAllowed, "method %s is not allowed on %s; use GET", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openAPI)
}
