package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	h := Handler()
	tests := []struct {
		method, path string
		status       int
		contentType  string // prefix
		body         string // substring
	}{
		{"GET", "/", 200, "text/html", `id="room-name"`},
		{"HEAD", "/", 200, "text/html", ""},
		{"GET", "/room/team-sync", 200, "text/html", `id="join"`},
		{"GET", "/room/A.b_c-9?name=Alice", 200, "text/html", `src="/static/app.js"`},
		{"GET", "/room/" + strings.Repeat("x", 64), 200, "text/html", ""},
		{"GET", "/room/" + strings.Repeat("x", 65), 404, "text/plain", "invalid room name"},
		{"GET", "/room/bad%20name", 404, "text/plain", "invalid room name"},
		{"GET", "/room/", 404, "text/plain", ""},
		{"GET", "/room/a/b", 404, "text/plain", ""},
		{"GET", "/static/switchboard.js", 200, "text/javascript", "export async function connect"},
		{"GET", "/static/app.js", 200, "text/javascript", "from './switchboard.js'"},
		{"GET", "/static/start.js", 200, "text/javascript", ""},
		{"GET", "/static/switchboard.d.ts", 200, "application/typescript", "export function connect(url: string | URL, token: string"},
		{"GET", "/static/example.html", 200, "text/html", `src="/static/example.js"`},
		{"GET", "/static/example.js", 200, "text/javascript", "await connect(location.origin, token)"},
		{"GET", "/static/style.css", 200, "text/css", ".tile"},
		{"GET", "/static/favicon.svg", 200, "image/svg+xml", "<svg"},
		{"GET", "/static/index.html", 200, "text/html", ""},
		{"GET", "/static/missing.js", 404, "text/plain", ""},
		{"GET", "/static/", 404, "text/plain", ""},
		{"GET", "/nope", 404, "text/plain", ""},
		{"POST", "/", 405, "text/plain", ""},
		{"POST", "/room/x", 405, "text/plain", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d (body %q)", res.StatusCode, tt.status, body)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.contentType) {
				t.Errorf("Content-Type %q, want %s…", ct, tt.contentType)
			}
			if !strings.Contains(string(body), tt.body) {
				t.Errorf("body does not contain %q", tt.body)
			}
			if tt.status == 200 && res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("no X-Content-Type-Options: nosniff")
			}
		})
	}
}

func TestHandlerRevalidation(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/static/switchboard.js", nil))
	etag := rec.Header().Get("ETag")
	if etag == "" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q", etag, rec.Header().Get("Cache-Control"))
	}
	req := httptest.NewRequest("GET", "/static/switchboard.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("revalidation: status %d, want 304", rec.Code)
	}
}

func TestPagesHaveStrictPolicy(t *testing.T) {
	h := Handler()
	for _, path := range []string{"/", "/room/x"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q", path, csp)
		}
		if strings.Contains(rec.Body.String(), "<script>") || strings.Contains(rec.Body.String(), "style=\"") {
			t.Errorf("%s: inline script or style, which the policy blocks", path)
		}
	}
}
