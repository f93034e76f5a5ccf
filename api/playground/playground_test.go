package playground_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"hash"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/parleyhq/parley/api/apitest"
)

// pageRef is a <script src> or <link href> of the playground page.
type pageRef struct {
	tag, url, integrity string
}

var (
	tagRe  = regexp.MustCompile(`(?is)<(script|link)\b([^>]*)>`)
	attrRe = regexp.MustCompile(`(?s)([a-zA-Z-]+)\s*=\s*"([^"]*)"`)
)

// pageRefs returns the external resources an HTML page loads.
func pageRefs(t *testing.T, page string) []pageRef {
	t.Helper()
	var refs []pageRef
	for _, m := range tagRe.FindAllStringSubmatch(page, -1) {
		attrs := map[string]string{}
		for _, a := range attrRe.FindAllStringSubmatch(m[2], -1) {
			attrs[strings.ToLower(a[1])] = html.UnescapeString(a[2])
		}
		ref := pageRef{tag: strings.ToLower(m[1]), integrity: attrs["integrity"]}
		switch ref.tag {
		case "script":
			ref.url = attrs["src"]
		case "link":
			if strings.Contains(attrs["rel"], "stylesheet") {
				ref.url = attrs["href"]
			}
		}
		if ref.url != "" {
			refs = append(refs, ref)
		}
	}
	return refs
}

// checkIntegrity reports whether body matches an SRI attribute value (any
// one of its space-separated hashes, as browsers accept).
func checkIntegrity(body []byte, integrity string) bool {
	for _, h := range strings.Fields(integrity) {
		algo, want, ok := strings.Cut(h, "-")
		if !ok {
			continue
		}
		var d hash.Hash
		switch algo {
		case "sha256":
			d = sha256.New()
		case "sha384":
			d = sha512.New384()
		case "sha512":
			d = sha512.New()
		default:
			continue
		}
		d.Write(body)
		if base64.StdEncoding.EncodeToString(d.Sum(nil)) == want {
			return true
		}
	}
	return false
}

func get(t *testing.T, u string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

// TestPlaygroundSelfHosted loads the playground from the full app and checks
// that everything it references is served by Parley itself, intact.
func TestPlaygroundSelfHosted(t *testing.T) {
	env := apitest.Start(t)

	resp, body := get(t, env.Server.URL+"/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /: status %d", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET /: Content-Type %q", ct)
	}
	page := string(body)
	for _, s := range []string{"http://", "https://", "cdn.", "jsdelivr", "unpkg"} {
		if strings.Contains(page, s) {
			t.Errorf("page mentions %q; it must load nothing from another host", s)
		}
	}

	refs := pageRefs(t, page)
	var scripts, styles, own int
	for _, ref := range refs {
		u, err := url.Parse(ref.url)
		if err != nil {
			t.Errorf("<%s> %q: %v", ref.tag, ref.url, err)
			continue
		}
		if u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			t.Errorf("<%s> %q is not a same-origin absolute path", ref.tag, ref.url)
			continue
		}
		if ref.integrity == "" {
			t.Errorf("<%s> %q has no integrity attribute", ref.tag, ref.url)
		}

		wantType := "text/javascript"
		if ref.tag == "link" {
			wantType = "text/css"
			styles++
		} else {
			scripts++
		}

		resp, asset := get(t, env.Server.URL+ref.url, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", ref.url, resp.StatusCode)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
			t.Errorf("GET %s: Content-Type %q, want %s", ref.url, ct, wantType)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", ref.url, got)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q, want a long max-age", ref.url, cc)
		}
		if !checkIntegrity(asset, ref.integrity) {
			t.Errorf("GET %s: %d bytes do not match integrity %q", ref.url, len(asset), ref.integrity)
		}

		// Revalidation answers 304 without a body.
		etag := resp.Header.Get("ETag")
		if etag == "" {
			t.Errorf("GET %s: no ETag", ref.url)
		} else if resp, _ := get(t, env.Server.URL+ref.url, http.Header{"If-None-Match": {etag}}); resp.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match: status %d, want 304", ref.url, resp.StatusCode)
		}

		// Each library ships with its license; Parley's own page files are
		// in a folder named parley-<hash>.
		if strings.HasPrefix(path.Base(path.Dir(u.Path)), "parley-") {
			own++
			if regexp.MustCompile(`https?://`).Match(asset) {
				t.Errorf("%s names another host", ref.url)
			}
			continue
		}
		license := path.Join(path.Dir(u.Path), "LICENSE")
		if resp, text := get(t, env.Server.URL+license, nil); resp.StatusCode != http.StatusOK || !strings.Contains(string(text), "MIT License") {
			t.Errorf("GET %s: status %d, want the MIT license text", license, resp.StatusCode)
		}
	}
	// GraphiQL's script and stylesheet, React, ReactDOM, and the page's own
	// script and stylesheet.
	if scripts != 4 || styles != 2 || own != 2 {
		t.Errorf("page loads %d scripts, %d stylesheets, %d of Parley's own files; want 4, 2 and 2:\n%s", scripts, styles, own, page)
	}
	if regexp.MustCompile(`(?i)<script\s*>|\son[a-z]+\s*=`).MatchString(page) {
		t.Errorf("page has inline script, which its Content-Security-Policy forbids:\n%s", page)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, directive := range []string{"default-src 'self'", "script-src 'self'", "connect-src 'self'"} {
		if !strings.Contains(csp, directive+";") {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, directive)
		}
	}

	if resp, _ := get(t, env.Server.URL+"/playground/assets/nope.js", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: status %d, want 404", resp.StatusCode)
	}
}

// TestPlaygroundMatchesGqlgen checks that the npm files the page loads are
// the very files gqlgen's default GraphiQL page loads from the CDN (same
// names, same SRI): the hashes of the npm releases, pinned by a third party.
// A gqlgen upgrade that moves to other versions fails here until the
// embedded copies follow (or the test is changed to pin them itself).
func TestPlaygroundMatchesGqlgen(t *testing.T) {
	env := apitest.Start(t)
	_, body := get(t, env.Server.URL+"/", nil)
	ours := map[string]string{} // file name -> integrity
	for _, ref := range pageRefs(t, string(body)) {
		if !strings.Contains(ref.url, "/parley-") {
			ours[path.Base(ref.url)] = ref.integrity
		}
	}

	rec := httptest.NewRecorder()
	playground.Handler("Parley GraphQL", "/graphql").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	theirs := pageRefs(t, rec.Body.String())
	if len(theirs) != 4 || len(ours) != len(theirs) {
		t.Errorf("page loads %d npm files, gqlgen's default page %d, want 4 each", len(ours), len(theirs))
	}
	for _, ref := range theirs {
		name := path.Base(ref.url)
		got, ok := ours[name]
		if !ok {
			t.Errorf("gqlgen's page loads %s; ours loads no file of that name", ref.url)
		} else if got != ref.integrity {
			t.Errorf("%s: integrity %q, gqlgen pins %q", name, got, ref.integrity)
		}
	}
}
