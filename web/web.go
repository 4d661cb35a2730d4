// Package web serves Switchboard's browser client: the start page, the
// meeting page and the static files, all embedded in the binary.
//
// The protocol client, static/switchboard.js, is an ES module with no
// dependencies that other applications can load from /static/switchboard.js;
// its types are at /static/switchboard.d.ts and a minimal app on it at
// /static/example.html.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"time"
)

//go:embed static
var files embed.FS

// roomName is the set of room names the signaling protocol accepts.
var roomName = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

const htmlType = "text/html; charset=utf-8"

// contentType is explicit so that the answer does not depend on the
// machine's MIME tables (JavaScript modules need a JavaScript type).
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return htmlType
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".ts": // switchboard.d.ts, the client library's types (not MPEG-TS video)
		return "application/typescript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".json":
		return "application/json"
	}
	return "application/octet-stream"
}

// contentSecurityPolicy lets the pages load only their own files and talk
// only to the WebSocket of the server that served them (or any other, for
// deployments that put signaling elsewhere).
const contentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; " +
	"media-src 'self' blob: mediastream:; object-src 'none'; base-uri 'none'; form-action 'self'"

// asset is one embedded file, ready to serve.
type asset struct {
	name        string
	body        []byte
	contentType string
	etag        string
}

// Handler returns the handler for the web client:
//
//	/              the start page (pick a room)
//	/room/{name}   the meeting page, the same for every valid room name
//	/static/...    scripts, styles and images
//
// Everything else is 404. Files are served with an ETag and
// "Cache-Control: no-cache", so browsers revalidate and never run stale code.
func Handler() http.Handler {
	assets := loadAssets()
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", serveAsset(assets["index.html"]))
	room := serveAsset(assets["room.html"])
	mux.HandleFunc("GET /room/{name}", func(w http.ResponseWriter, r *http.Request) {
		if !roomName.MatchString(r.PathValue("name")) {
			http.Error(w, "invalid room name: use 1 to 64 of A-Z a-z 0-9 - _ .", http.StatusNotFound)
			return
		}
		room.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /static/{file...}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serveAsset(a).ServeHTTP(w, r)
	})
	return mux
}

// loadAssets reads every embedded file once. The files are part of the
// binary, so a failure is a bug in the build.
func loadAssets() map[string]*asset {
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	assets := map[string]*asset{}
	err = fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		assets[name] = &asset{
			name:        name,
			body:        body,
			contentType: contentType(name),
			etag:        `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	if err != nil {
		panic(err)
	}
	return assets
}

func serveAsset(a *asset) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		if a.contentType == htmlType {
			h.Set("Content-Security-Policy", contentSecurityPolicy)
		}
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
	})
}
