package rest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parleyhq/parley/ent/conversation"
	"github.com/parleyhq/parley/graph"
	"github.com/parleyhq/parley/graph/loader"
	"github.com/parleyhq/parley/internal/seed"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
	"github.com/parleyhq/parley/rest"
)

// A panic, in the REST handler itself or in a resolver beneath it, is a 500
// with the error envelope and no internals; the panic is logged.
func TestPanicsAreInternalErrors(t *testing.T) {
	env := testenv.Open(t)
	res, err := seed.Run(sys(), env.Client, seed.Options{Organization: "Panic", Conversations: 3, Messages: 2})
	if err != nil {
		t.Fatal(err)
	}
	id, err := env.Client.Conversation.Query().Where(conversation.StatusNEQ(conversation.StatusPending)).FirstID(sys())
	if err != nil {
		t.Fatal(err)
	}
	ctx := viewer.NewContext(context.Background(), viewer.Viewer{OrganizationID: res.Organization.ID})

	cases := map[string]func(*slog.Logger) *rest.Handler{
		// No executor: the handler panics on its first use of it.
		"handler": func(logger *slog.Logger) *rest.Handler { return rest.New(nil, logger) },
		// No database client: the conversation resolver panics.
		"resolver": func(logger *slog.Logger) *rest.Handler {
			return rest.New(graph.NewExecutor(nil, logger, graph.Options{Loader: loader.DefaultOptions}), logger)
		},
	}
	for name, newHandler := range cases {
		t.Run(name, func(t *testing.T) {
			var logs bytes.Buffer
			h := newHandler(slog.New(slog.NewJSONHandler(&logs, nil)))
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, rest.Prefix+"/conversations/"+id.String()+"/transcript", nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500: %s", rec.Code, rec.Body)
			}
			var body map[string]map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", rec.Body, err)
			}
			if body["error"]["code"] != "internal_error" || body["error"]["message"] != "internal error" || len(body) != 1 {
				t.Fatalf("body %s, want the internal_error envelope only", rec.Body)
			}
			if !strings.Contains(logs.String(), "panic") {
				t.Fatalf("the panic was not logged: %s", logs.String())
			}
		})
	}
}
