package srtpkeys

import (
	"bytes"
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/dtls/v3/pkg/crypto/selfsign"
	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// TestDeriveMatchesPion runs real DTLS-SRTP handshakes (pion/dtls, the
// library Pion's DTLSTransport uses) with a Capture wired to the same hooks
// the SettingEngine offers, then checks that the derived keys encrypt a
// packet to exactly the ciphertext of a context keyed the way Pion's
// DTLSTransport keys its SRTP session (srtp.Config.ExtractSessionKeysFromDTLS
// on the server's connection state), and that the client side decrypts it.
func TestDeriveMatchesPion(t *testing.T) {
	cases := []struct {
		name    string
		suite   dtls.CipherSuiteID
		profile dtls.SRTPProtectionProfile
		ems     dtls.ExtendedMasterSecretType
	}{
		// Chromium offers both profiles and prefers AEAD_AES_128_GCM; Pion
		// as answerer picks the first of its own list that the client offered.
		{"gcm-sha256", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.SRTP_AEAD_AES_128_GCM, dtls.RequireExtendedMasterSecret},
		{"cm-sha256", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.RequireExtendedMasterSecret},
		{"gcm-sha384", dtls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, dtls.SRTP_AEAD_AES_128_GCM, dtls.RequireExtendedMasterSecret},
		// What Pion (server list first: AEAD_AES_256_GCM) picks with Chromium.
		{"gcm256-sha256", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.SRTP_AEAD_AES_256_GCM, dtls.RequireExtendedMasterSecret},
		{"cm-no-ems", dtls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, dtls.SRTP_AES128_CM_HMAC_SHA1_80, dtls.DisableExtendedMasterSecret},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			capture := &Capture{}
			server, client := dtlsHandshake(t, capture, tc.suite, tc.profile, tc.ems)

			derived, err := capture.Keys()
			if err != nil {
				t.Fatalf("Keys: %v", err)
			}
			if derived.Profile != srtp.ProtectionProfile(tc.profile) {
				t.Fatalf("profile %v, negotiated %v", derived.Profile, tc.profile)
			}

			pion := srtp.Config{Profile: derived.Profile}
			state, _ := server.ConnectionState()
			if err := pion.ExtractSessionKeysFromDTLS(&state, false); err != nil {
				t.Fatalf("extract: %v", err)
			}
			for _, k := range []struct {
				name      string
				got, want []byte
			}{
				{"local key", derived.LocalKey, pion.Keys.LocalMasterKey},
				{"local salt", derived.LocalSalt, pion.Keys.LocalMasterSalt},
				{"remote key", derived.RemoteKey, pion.Keys.RemoteMasterKey},
				{"remote salt", derived.RemoteSalt, pion.Keys.RemoteMasterSalt},
			} {
				if !bytes.Equal(k.got, k.want) {
					t.Fatalf("%s: derived %x, pion %x", k.name, k.got, k.want)
				}
			}

			ours, err := srtp.CreateContext(derived.LocalKey, derived.LocalSalt, derived.Profile)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := srtp.CreateContext(pion.Keys.LocalMasterKey, pion.Keys.LocalMasterSalt, derived.Profile)
			if err != nil {
				t.Fatal(err)
			}
			pkt := marshal(t, &rtp.Packet{
				Header:  rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 65535, Timestamp: 90000, SSRC: 0x1234abcd},
				Payload: []byte("switchboard forwards this payload"),
			})
			a, err := ours.EncryptRTP(nil, pkt, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := theirs.EncryptRTP(nil, pkt, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Fatalf("ciphertext differs:\n ours %x\n pion %x", a, b)
			}

			// The browser's side: keys from the client's own DTLS state.
			recv := srtp.Config{Profile: derived.Profile}
			cstate, _ := client.ConnectionState()
			if err := recv.ExtractSessionKeysFromDTLS(&cstate, true); err != nil {
				t.Fatal(err)
			}
			dec, err := srtp.CreateContext(recv.Keys.RemoteMasterKey, recv.Keys.RemoteMasterSalt, derived.Profile)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := dec.DecryptRTP(nil, a, nil)
			if err != nil {
				t.Fatalf("client decrypt: %v", err)
			}
			if !bytes.Equal(plain, pkt) {
				t.Fatalf("decrypted %x, sent %x", plain, pkt)
			}
		})
	}
}

func TestKeysBeforeHandshake(t *testing.T) {
	if _, err := (&Capture{}).Keys(); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("err %v, want ErrIncomplete", err)
	}
}

func TestDeriveRejects(t *testing.T) {
	good := make([]byte, randomLen)
	cases := []struct {
		name string
		p    Params
		want error
	}{
		{"short client random", Params{MasterSecret: good, ClientRandom: good[:31], ServerRandom: good, Profile: srtp.ProtectionProfileAeadAes128Gcm}, ErrRandomLength},
		{"no secret", Params{ClientRandom: good, ServerRandom: good, Profile: srtp.ProtectionProfileAeadAes128Gcm}, ErrNoMasterSecret},
		{"unknown profile", Params{MasterSecret: good, ClientRandom: good, ServerRandom: good, Profile: 0x7777}, ErrProfile},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Derive(tc.p); !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
		})
	}
}

func TestKeyLogMalformed(t *testing.T) {
	for _, line := range []string{"CLIENT_RANDOM abc\n", "CLIENT_RANDOM zz 00\n"} {
		if _, err := (&Capture{}).Write([]byte(line)); !errors.Is(err, ErrKeyLog) {
			t.Fatalf("%q: err %v, want ErrKeyLog", line, err)
		}
	}
}

func marshal(t *testing.T, p *rtp.Packet) []byte {
	t.Helper()
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// dtlsHandshake completes one DTLS 1.2 handshake over loopback UDP, the server
// wired to capture the way the SFU's SettingEngine would be.
func dtlsHandshake(t *testing.T, capture *Capture, suite dtls.CipherSuiteID, profile dtls.SRTPProtectionProfile, ems dtls.ExtendedMasterSecretType) (*dtls.Conn, *dtls.Conn) {
	t.Helper()
	cert, err := selfsign.GenerateSelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	sconn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	cconn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	common := []dtls.Option{
		dtls.WithCertificates(cert),
		dtls.WithCipherSuites(suite),
		dtls.WithSRTPProtectionProfiles(profile),
		dtls.WithExtendedMasterSecret(ems),
		dtls.WithInsecureSkipVerify(true),
	}
	serverOpts := []dtls.ServerOption{dtls.WithKeyLogWriter(capture), dtls.WithServerHelloMessageHook(capture.ServerHello)}
	clientOpts := []dtls.ClientOption{}
	for _, o := range common {
		serverOpts = append(serverOpts, o)
		clientOpts = append(clientOpts, o)
	}
	server, err := dtls.ServerWithOptions(sconn, cconn.LocalAddr(), serverOpts...)
	if err != nil {
		t.Fatal(err)
	}
	client, err := dtls.ClientWithOptions(cconn, sconn.LocalAddr(), clientOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Close()
		_ = server.Close()
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second) // generous: loaded 2-core CI
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- server.HandshakeContext(ctx) }()
	if err := client.HandshakeContext(ctx); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	return server, client
}
