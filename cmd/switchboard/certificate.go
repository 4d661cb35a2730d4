package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloadInterval is how often the certificate files are checked for a
// renewal (certbot and the like replace them in place).
const certReloadInterval = time.Minute

// certificate is the TLS certificate of --tls-cert and --tls-key, reloaded
// when the files change so that a renewal needs no restart.
type certificate struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	modTime time.Time
	checked time.Time
}

func loadCertificate(certFile, keyFile string, log *slog.Logger) (*certificate, error) {
	c := &certificate{certFile: certFile, keyFile: keyFile, log: log}
	if err := c.load(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *certificate) load() error {
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("loading --tls-cert and --tls-key: %w", err)
	}
	c.cert, c.modTime, c.checked = &cert, c.lastChange(), time.Now()
	return nil
}

// lastChange is the later of the two files' modification times.
func (c *certificate) lastChange() time.Time {
	var t time.Time
	for _, f := range []string{c.certFile, c.keyFile} {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(t) {
			t = st.ModTime()
		}
	}
	return t
}

// get is tls.Config.GetCertificate.
func (c *certificate) get(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if time.Since(c.checked) > certReloadInterval {
		c.checked = time.Now()
		if c.lastChange().After(c.modTime) {
			if err := c.load(); err != nil {
				c.log.Error("reloading the TLS certificate; keeping the old one", "err", err)
			} else {
				c.log.Info("reloaded the TLS certificate", "file", c.certFile)
			}
		}
	}
	return c.cert, nil
}

func (c *certificate) tlsConfig() *tls.Config {
	return &tls.Config{GetCertificate: c.get, MinVersion: tls.VersionTLS12}
}
