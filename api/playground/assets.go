package playground

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed assets page
var files embed.FS

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
	sri         string
}

// contentTypes is fixed here rather than taken from the mime
// package, whose answers depend on the host's /etc/mime.types.
var contentTypes = map[string]string{
	".js":  "text/javascript; charset=utf-8",
	".css": "text/css; charset=utf-8",
	"":     "text/plain; charset=utf-8", // LICENSE
}

// assets maps a path under AssetsPath to its file: the npm files as they are
// named under assets/, and Parley's page script and stylesheet under
// pageDir, a folder named by their hash.
var assets, pageDir = loadAssets()

func loadAssets() (map[string]asset, string) {
	all := map[string]asset{}
	add := func(name, served string) {
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			panic(fmt.Sprintf("playground: %s: no content type for this extension", name))
		}
		body, err := files.ReadFile(name)
		if err != nil {
			panic("playground: embedded assets: " + err.Error())
		}
		sum := sha256.Sum256(body)
		all[served] = asset{
			body:        body,
			contentType: ct,
			etag:        `"` + hex.EncodeToString(sum[:16]) + `"`,
			sri:         "sha256-" + base64.StdEncoding.EncodeToString(sum[:]),
		}
	}
	err := fs.WalkDir(files, "assets", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			add(name, strings.TrimPrefix(name, "assets/"))
		}
		return err
	})
	if err != nil {
		panic("playground: embedded assets: " + err.Error())
	}

	own := sha256.New()
	for _, name := range []string{"page/page.js", "page/page.css"} {
		body, err := files.ReadFile(name)
		if err != nil {
			panic("playground: embedded page: " + err.Error())
		}
		own.Write(body)
	}
	dir := "parley-" + hex.EncodeToString(own.Sum(nil))[:12]
	add("page/page.js", dir+"/page.js")
	add("page/page.css", dir+"/page.css")
	return all, dir
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
