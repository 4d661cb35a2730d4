package srtpkeys

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/protocol/extension"
	"github.com/pion/dtls/v3/pkg/protocol/handshake"
	"github.com/pion/srtp/v3"
)

// keyLogLabel is the NSS key-log label pion/dtls writes for DTLS 1.2.
const keyLogLabel = "CLIENT_RANDOM"

var (
	// ErrIncomplete is returned by Keys before both the Server Hello and the
	// key-log line were seen.
	ErrIncomplete = errors.New("srtpkeys: handshake values not captured yet")
	// ErrKeyLog is returned for a key-log line that is not "CLIENT_RANDOM <hex> <hex>".
	ErrKeyLog = errors.New("srtpkeys: malformed key-log line")
	// ErrNoSRTP is returned when the Server Hello negotiated no SRTP profile.
	ErrNoSRTP = errors.New("srtpkeys: server hello has no use_srtp extension")
)

// Capture collects the values of one DTLS server handshake from Pion's
// SettingEngine hooks: pass ServerHello to SetDTLSServerHelloMessageHook and
// the Capture itself to SetDTLSKeyLogWriter. The hooks carry no connection
// identity, so a Capture must serve exactly one PeerConnection (its own
// SettingEngine); a DTLS restart simply overwrites the values.
type Capture struct {
	mu           sync.Mutex
	serverRandom []byte
	suite        dtls.CipherSuiteID
	profile      srtp.ProtectionProfile
	hello        bool
	clientRandom []byte
	masterSecret []byte
}

// ServerHello records the server random, cipher suite and SRTP profile and
// returns the message unchanged.
func (c *Capture) ServerHello(m handshake.MessageServerHello) handshake.Message {
	random := m.Random.MarshalFixed()
	var profile srtp.ProtectionProfile
	found := false
	for _, e := range m.Extensions {
		if u, ok := e.(*extension.UseSRTP); ok && len(u.ProtectionProfiles) > 0 {
			profile, found = srtp.ProtectionProfile(u.ProtectionProfiles[0]), true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.serverRandom = random[:]
	c.hello = found
	if m.CipherSuiteID != nil {
		c.suite = dtls.CipherSuiteID(*m.CipherSuiteID)
	}
	c.profile = profile
	return &m
}

// Write parses NSS key-log lines ("CLIENT_RANDOM <client random> <master
// secret>", hex) as pion/dtls writes them; other labels are ignored.
func (c *Capture) Write(p []byte) (int, error) {
	for _, line := range bytes.Split(p, []byte("\n")) {
		fields := bytes.Fields(line)
		if len(fields) == 0 || string(fields[0]) != keyLogLabel {
			continue
		}
		if len(fields) != 3 {
			return 0, ErrKeyLog
		}
		clientRandom, err := hex.DecodeString(string(fields[1]))
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrKeyLog, err)
		}
		secret, err := hex.DecodeString(string(fields[2]))
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrKeyLog, err)
		}
		c.mu.Lock()
		c.clientRandom, c.masterSecret = clientRandom, secret
		c.mu.Unlock()
	}
	return len(p), nil
}

// Keys derives the association's SRTP keys from the captured values. Call it
// once the DTLS transport is connected.
func (c *Capture) Keys() (Keys, error) {
	c.mu.Lock()
	p := Params{
		MasterSecret: c.masterSecret,
		ClientRandom: c.clientRandom,
		ServerRandom: c.serverRandom,
		CipherSuite:  c.suite,
		Profile:      c.profile,
	}
	hello := c.hello
	captured := c.serverRandom != nil && c.masterSecret != nil
	c.mu.Unlock()
	if !captured {
		return Keys{}, ErrIncomplete
	}
	if !hello {
		return Keys{}, ErrNoSRTP
	}
	return Derive(p)
}
