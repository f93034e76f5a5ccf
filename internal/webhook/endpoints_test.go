package webhook_test

import (
	"context"
	"testing"
	"time"

	"github.com/parleyhq/parley/internal/apikey"
	"github.com/parleyhq/parley/internal/apperr"
	"github.com/parleyhq/parley/internal/testenv"
	"github.com/parleyhq/parley/internal/viewer"
	"github.com/parleyhq/parley/internal/webhook"
)

func ptr[T any](v T) *T { return &v }

func acting(t *testing.T, env *testenv.Env, org string, live bool) context.Context {
	t.Helper()
	v, err := apikey.Authenticate(context.Background(), env.Client, env.Key(t, org, live))
	if err != nil {
		t.Fatal(err)
	}
	return viewer.NewContext(context.Background(), v)
}

func code(err error) apperr.Code {
	if e, ok := apperr.As(err); ok {
		return e.Code
	}
	return ""
}

// Endpoints belong to one organization and mode: another organization, or
// the same one's other mode, gets not_found for every operation.
func TestEndpointsAreTenantScoped(t *testing.T) {
	env := testenv.Open(t)
	store := webhook.Store{Client: env.Client}
	acme, acmeLive, globex := acting(t, env, "Acme", false), acting(t, env, "Acme", true), acting(t, env, "Globex", false)

	e, err := store.Create(acme, webhook.Endpoint{URL: ptr("https://hooks.example.com/parley")})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.EventTypes) != 1 || e.EventTypes[0] != "conversation.completed" || !e.Enabled || len(e.Secret) < 30 {
		t.Fatalf("a new endpoint: %+v", e)
	}
	for name, ctx := range map[string]context.Context{"another organization": globex, "the other mode": acmeLive} {
		if _, err := store.Get(ctx, e.ID); code(err) != apperr.NotFound {
			t.Errorf("%s: get: %v", name, err)
		}
		if _, err := store.Update(ctx, e.ID, webhook.Endpoint{Enabled: ptr(false)}); code(err) != apperr.NotFound {
			t.Errorf("%s: update: %v", name, err)
		}
		if _, err := store.Rotate(ctx, e.ID, time.Hour); code(err) != apperr.NotFound {
			t.Errorf("%s: rotate: %v", name, err)
		}
		if err := store.Delete(ctx, e.ID); code(err) != apperr.NotFound {
			t.Errorf("%s: delete: %v", name, err)
		}
	}
	if _, err := store.Get(acme, e.ID); err != nil {
		t.Fatalf("the owner lost its endpoint: %v", err)
	}
	if err := store.Delete(acme, e.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(acme, e.ID); code(err) != apperr.NotFound {
		t.Errorf("after delete: %v", err)
	}
}

// Bad input is refused in words; internal addresses only when allowed.
func TestEndpointValidation(t *testing.T) {
	env := testenv.Open(t)
	ctx := acting(t, env, "Acme", false)
	strict := webhook.Store{Client: env.Client}
	for name, e := range map[string]webhook.Endpoint{
		"no url":        {},
		"loopback":      {URL: ptr("http://127.0.0.1:8080/hook")},
		"metadata":      {URL: ptr("http://169.254.169.254/latest")},
		"ftp":           {URL: ptr("ftp://example.com/x")},
		"unknown event": {URL: ptr("https://example.com/x"), EventTypes: []string{"conversation.exploded"}},
	} {
		if _, err := strict.Create(ctx, e); code(err) != apperr.InvalidRequest {
			t.Errorf("%s: %v, want invalid_request", name, err)
		}
	}
	dev := webhook.Store{Client: env.Client, AllowPrivate: true}
	if _, err := dev.Create(ctx, webhook.Endpoint{URL: ptr("http://127.0.0.1:8080/hook")}); err != nil {
		t.Errorf("loopback with private addresses allowed: %v", err)
	}
}

// After a rotation both secrets sign until the overlap ends.
func TestRotation(t *testing.T) {
	env := testenv.Open(t)
	ctx := acting(t, env, "Acme", false)
	store := webhook.Store{Client: env.Client}
	e, err := store.Create(ctx, webhook.Endpoint{URL: ptr("https://example.com/x")})
	if err != nil {
		t.Fatal(err)
	}
	r, err := store.Rotate(ctx, e.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if r.Secret == e.Secret {
		t.Fatal("rotation kept the secret")
	}
	if s := webhook.Secrets(r, time.Now()); len(s) != 2 || s[0] != r.Secret || s[1] != e.Secret {
		t.Errorf("secrets during the overlap: %d", len(s))
	}
	if s := webhook.Secrets(r, time.Now().Add(2*time.Hour)); len(s) != 1 || s[0] != r.Secret {
		t.Errorf("secrets after the overlap: %d", len(s))
	}
	off, err := store.Update(ctx, e.ID, webhook.Endpoint{Enabled: ptr(false), EventTypes: []string{"conversation.started", "conversation.started"}})
	if err != nil || off.Enabled || len(off.EventTypes) != 1 {
		t.Errorf("update: %+v, %v", off, err)
	}
}
