// Package playground serves the GraphiQL page at / with every file it
// loads embedded in the binary.
package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	gqlplayground "github.com/99designs/gqlgen/graphql/playground"
)

// The GraphiQL playground is self-hosted: gqlgen's page would load GraphiQL
// and React from cdn.jsdelivr.net, which many deployments cannot reach. The
// files under assets/ are the unmodified npm releases, each beside its
// package's LICENSE:
//
//	graphiql@4.1.2    graphiql.min.js, graphiql.min.css
//	react@18.2.0      umd/react.production.min.js
//	react-dom@18.2.0  umd/react-dom.production.min.js
//
// They hash to the SRI values gqlgen v0.17.98 pins for its CDN URLs, and the
// page keeps those integrity attributes. To upgrade (say, after a gqlgen
// bump changes its defaults): `npm pack` the versions gqlgen's
// graphql/playground/playground.go names into a temporary directory, replace
// the files in a new versioned folder, and update the constants below;
// playground_test.go fails until the page, the files and gqlgen agree.

//go:embed assets
var files embed.FS

// AssetsPath is where the embedded files are served. Every file path carries
// its package version, so responses are cached as immutable.
const AssetsPath = "/playground/assets/"

// Subresource Integrity of the embedded files, as gqlgen pins them.
const (
	graphiqlJS     = "graphiql-4.1.2/graphiql.min.js"
	graphiqlJSSRI  = "sha256-hnImuor1znlJkD/FOTL3jayfS/xsyNoP04abi8bFJWs="
	graphiqlCSS    = "graphiql-4.1.2/graphiql.min.css"
	graphiqlCSSSRI = "sha256-MEh+B2NdMSpj9kexQNN3QKc8UzMrCXW/Sx/phcpuyIU="
	reactJS        = "react-18.2.0/react.production.min.js"
	reactJSSRI     = "sha256-S0lp+k7zWUMk2ixteM6HZvu8L9Eh//OVrt+ZfbCpmgY="
	reactDOMJS     = "react-dom-18.2.0/react-dom.production.min.js"
	reactDOMJSSRI  = "sha256-IXWO0ITNDjfnNXIu5POVfqlgYoop36bDzhodR6LW5Pc="
)

// Page returns the GraphiQL page for the GraphQL endpoint at endpoint.
func Page(endpoint string) http.Handler {
	return gqlplayground.Handler("Parley GraphQL", endpoint, options()...)
}

// options point gqlgen's GraphiQL page at the embedded files.
//
// The explorer plugin (which would load @graphiql/plugin-explorer from the
// CDN) is explicitly off. No default headers are set: gqlgen passes its
// "UI headers" as GraphiQL's `headers` prop, which GraphiQL 4 prefers over
// the headers it persisted in localStorage, so a placeholder API key would
// replace the user's real key on every reload. Users paste
// {"Authorization": "Bearer sk_test_..."} into the headers editor once
// (the 401 message says so) and GraphiQL keeps it.
func options() []gqlplayground.GraphiqlConfigOption {
	return []gqlplayground.GraphiqlConfigOption{
		gqlplayground.WithGraphiqlVersion(
			AssetsPath+graphiqlJS, AssetsPath+graphiqlCSS,
			graphiqlJSSRI, graphiqlCSSSRI,
		),
		gqlplayground.WithGraphiqlReactVersion(
			AssetsPath+reactJS, AssetsPath+reactDOMJS,
			reactJSSRI, reactDOMJSSRI,
		),
		gqlplayground.WithGraphiqlEnablePluginExplorer(false),
	}
}

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// contentTypes is fixed here rather than taken from the mime
// package, whose answers depend on the host's /etc/mime.types.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	"":     "text/plain; charset=utf-8", // LICENSE
}

// Assets serves the embedded files under AssetsPath.
func Assets() http.Handler {
	assets := map[string]asset{}
	err := fs.WalkDir(files, "assets", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("%s: no content type for this extension", name)
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		assets[strings.TrimPrefix(name, "assets/")] = asset{
			body:        body,
			contentType: ct,
			etag:        `"` + hex.EncodeToString(sum[:16]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic("playground: embedded assets: " + err.Error())
	}

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
