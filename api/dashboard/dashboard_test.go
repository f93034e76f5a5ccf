package dashboard_test

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/parleyhq/parley/api/apitest"
)

// The page is served by Parley itself with its files, each with an
// integrity hash that matches what is served, and a policy that keeps the
// browser on this origin.
func TestPageAndAssets(t *testing.T) {
	env := apitest.Start(t)
	res := env.Send(t, http.MethodGet, "", "/dashboard", nil, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /dashboard: %d %s", res.Status, res.Body)
	}
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	page := string(res.Body)
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(page) {
		t.Errorf("the page refers to another host:\n%s", page)
	}
	if !strings.Contains(page, `data-endpoint="/graphql"`) {
		t.Errorf("the page does not name the GraphQL endpoint")
	}
	refs := regexp.MustCompile(`(?:src|href)="(/dashboard/assets/[^"]+)" integrity="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) != 2 {
		t.Fatalf("want a script and a stylesheet with integrity, found %v", refs)
	}
	for _, r := range refs {
		a := env.Send(t, http.MethodGet, "", r[1], nil, nil)
		if a.Status != http.StatusOK {
			t.Fatalf("GET %s: %d", r[1], a.Status)
		}
		sum := sha256.Sum256(a.Body)
		if got := "sha256-" + base64.StdEncoding.EncodeToString(sum[:]); got != html.UnescapeString(r[2]) {
			t.Errorf("%s hashes to %s, the page says %s", r[1], got, r[2])
		}
		if !strings.Contains(a.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: Cache-Control %q", r[1], a.Header.Get("Cache-Control"))
		}
		if strings.Contains(string(a.Body), "http://") && strings.Contains(r[1], ".css") {
			t.Errorf("%s loads from another host", r[1])
		}
	}
	if res := env.Send(t, http.MethodGet, "", "/dashboard/assets/nope.js", nil, nil); res.Status != http.StatusNotFound {
		t.Errorf("unknown asset: %d", res.Status)
	}
}
