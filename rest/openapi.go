package rest

import (
	_ "embed"
	"net/http"
)

// openAPI is the OpenAPI 3.1 description of this API. A test validates real
// responses against it, so it cannot drift from the code.
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI serves the document. It needs no API key.
func OpenAPI(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(openAPI)
}
