// Package dashboard serves the insights page at /dashboard with every file it
// loads embedded in the binary, so it works offline. The page is built on
// the public GraphQL API only (conversationStats, conversations,
// conversation.transcript), signed in with an API key pasted once.
//
// web/ is the source (web/src) and its pinned npm packages (Chart.js, and
// esbuild to bundle); web/build.sh writes dist/, which is committed so that
// building the server needs no Node. CI rebuilds dist/ in a temporary folder
// and compares the bytes (.ci/dashboard-assets.sh).
package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"html/template"
	"net/http"
	"strings"
	"time"
)

// Path is the page's address; AssetsPath is where its files are served,
// under a folder named by their hash, so they are cached as immutable.
const (
	Path       = "/dashboard"
	AssetsPath = "/dashboard/assets/"
)

//go:embed dist page
var files embed.FS

type asset struct {
	body        []byte
	contentType string
	etag, sri   string
}

var assets, assetDir = loadAssets()

func loadAssets() (map[string]asset, string) {
	names := map[string]string{
		"dashboard.js":  "text/javascript; charset=utf-8",
		"dashboard.css": "text/css; charset=utf-8",
	}
	all := map[string]asset{}
	version := sha256.New()
	for _, name := range []string{"dashboard.js", "dashboard.css"} {
		body, err := files.ReadFile("dist/" + name)
		if err != nil {
			panic("dashboard: embedded assets: " + err.Error())
		}
		version.Write(body)
		sum := sha256.Sum256(body)
		all[name] = asset{body, names[name], `"` + hex.EncodeToString(sum[:16]) + `"`,
			"sha256-" + base64.StdEncoding.EncodeToString(sum[:])}
	}
	dir := "parley-" + hex.EncodeToString(version.Sum(nil))[:12]
	served := map[string]asset{}
	for name, a := range all {
		served[dir+"/"+name] = a
	}
	return served, dir
}

// contentSecurityPolicy lets the page load from and connect to this origin
// only. Chart.js sizes its canvases with inline styles.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

type ref struct{ URL, SRI string }

func own(name string) ref {
	a := assets[assetDir+"/"+name]
	return ref{AssetsPath + assetDir + "/" + name, a.sri}
}

// Page returns the dashboard for the GraphQL endpoint at endpoint (a path on
// this origin).
func Page(endpoint string) http.Handler {
	tmpl := template.Must(template.ParseFS(files, "page/index.html"))
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, struct {
		Endpoint string
		JS, CSS  ref
	}{endpoint, own("dashboard.js"), own("dashboard.css")}); err != nil {
		panic("dashboard: page: " + err.Error())
	}
	body := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
	})
}

// Assets serves the embedded files under AssetsPath.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[strings.TrimPrefix(r.URL.Path, AssetsPath)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("ETag", a.etag)
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
	})
}
