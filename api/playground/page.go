package playground

import (
	"bytes"
	"html/template"
	"net/http"
)

var pageTemplate = template.Must(template.ParseFS(files, "page/index.html"))

// ref is a file the page loads: its URL and Subresource Integrity.
type ref struct{ URL, SRI string }

// npmRef refers to an npm file with the integrity pinned in playground.go,
// checked against the embedded bytes here so a wrong pin fails at start.
func npmRef(f npmFile) ref {
	a, ok := assets[f.name]
	if !ok || a.sri != f.sri {
		panic("playground: " + f.name + " is missing or does not match its pinned integrity")
	}
	return ref{AssetsPath + f.name, f.sri}
}

func ownRef(name string) ref {
	return ref{AssetsPath + pageDir + "/" + name, assets[pageDir+"/"+name].sri}
}

// contentSecurityPolicy lets the page load and connect to this origin only.
// GraphiQL sets inline styles, and its editor and icons use data: URLs.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

// Page returns the GraphiQL page for the GraphQL endpoint at endpoint (a
// path on this origin).
func Page(endpoint string) http.Handler {
	var buf bytes.Buffer
	err := pageTemplate.Execute(&buf, struct {
		Title, Endpoint          string
		JS, CSS, React, ReactDOM ref
		PageJS, PageCSS          ref
	}{
		Title: "Parley GraphQL", Endpoint: endpoint,
		JS: npmRef(graphiqlJS), CSS: npmRef(graphiqlCSS), React: npmRef(reactJS), ReactDOM: npmRef(reactDOMJS),
		PageJS: ownRef("page.js"), PageCSS: ownRef("page.css"),
	})
	if err != nil {
		panic("playground: page: " + err.Error())
	}
	body := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		w.Write(body)
	})
}
