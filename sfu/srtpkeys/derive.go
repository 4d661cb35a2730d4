// Package srtpkeys derives the SRTP master keys and salts of a DTLS-SRTP
// association (RFC 5764 §4.2) from what a DTLS server can observe through
// Pion's public hooks: the key log (client random and master secret) and the
// Server Hello (server random, cipher suite, SRTP protection profile).
//
// Pion does not expose the SRTP keys of a PeerConnection; deriving them here
// lets the SFU encrypt forwarded RTP itself (issue #13) without a fork. The
// package has no PeerConnection API: it only needs bytes the hooks hand over.
package srtpkeys

import (
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/prf"
	"github.com/pion/srtp/v3"
)

// exporterLabel is the RFC 5764 §4.2 label for the keying material exporter
// (RFC 5705).
const exporterLabel = "EXTRACTOR-dtls_srtp"

// randomLen is the length of a DTLS ClientHello/ServerHello random
// (RFC 5246 §7.4.1.2: 4-byte time plus 28 random bytes).
const randomLen = 32

var (
	// ErrRandomLength is returned for a client or server random that is not 32 bytes.
	ErrRandomLength = errors.New("srtpkeys: random must be 32 bytes")
	// ErrNoMasterSecret is returned for an empty master secret.
	ErrNoMasterSecret = errors.New("srtpkeys: empty master secret")
	// ErrProfile is returned for an SRTP protection profile pion/srtp does not know.
	ErrProfile = errors.New("srtpkeys: unsupported SRTP protection profile")
)

// Keys are the SRTP master keys and salts of one association, seen from the
// DTLS server (the SFU is always the DTLS server: SetAnsweringDTLSRole).
// Local is the server's write key (what the SFU encrypts with), Remote the
// client's.
type Keys struct {
	Profile    srtp.ProtectionProfile
	LocalKey   []byte
	LocalSalt  []byte
	RemoteKey  []byte
	RemoteSalt []byte
}

// Params are the handshake values the derivation needs.
type Params struct {
	MasterSecret []byte
	ClientRandom []byte
	ServerRandom []byte
	CipherSuite  dtls.CipherSuiteID
	Profile      srtp.ProtectionProfile
}

// Derive computes the keys with the TLS 1.2 PRF (RFC 5246 §5) keyed by the
// master secret, seeded by label + client random + server random (RFC 5705
// §4), and splits the material as RFC 5764 §4.2 lays it out: client key,
// server key, client salt, server salt.
func Derive(p Params) (Keys, error) {
	if len(p.ClientRandom) != randomLen || len(p.ServerRandom) != randomLen {
		return Keys{}, ErrRandomLength
	}
	if len(p.MasterSecret) == 0 {
		return Keys{}, ErrNoMasterSecret
	}
	keyLen, err := p.Profile.KeyLen()
	if err != nil {
		return Keys{}, fmt.Errorf("%w: %v", ErrProfile, err)
	}
	saltLen, err := p.Profile.SaltLen()
	if err != nil {
		return Keys{}, fmt.Errorf("%w: %v", ErrProfile, err)
	}
	seed := make([]byte, 0, len(exporterLabel)+2*randomLen)
	seed = append(seed, exporterLabel...)
	seed = append(seed, p.ClientRandom...)
	seed = append(seed, p.ServerRandom...)
	material, err := prf.PHash(p.MasterSecret, seed, 2*keyLen+2*saltLen, prfHash(p.CipherSuite))
	if err != nil {
		return Keys{}, fmt.Errorf("srtpkeys: prf: %w", err)
	}
	return Keys{
		Profile:    p.Profile,
		RemoteKey:  material[:keyLen],
		LocalKey:   material[keyLen : 2*keyLen],
		RemoteSalt: material[2*keyLen : 2*keyLen+saltLen],
		LocalSalt:  material[2*keyLen+saltLen:],
	}, nil
}

// prfHash is the PRF hash of a DTLS 1.2 cipher suite: SHA-384 for the
// *_SHA384 suites, SHA-256 for every other suite Pion offers (RFC 5246 §5,
// RFC 5289 §3).
func prfHash(id dtls.CipherSuiteID) prf.HashFunc {
	switch id {
	case dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, dtls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		return func() hash.Hash { return sha512.New384() }
	default:
		return sha256.New
	}
}
