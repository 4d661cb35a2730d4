package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/switchboard-rtc/switchboard/signaling/protocol"
)

// runServer runs the server as the binary would, on loopback, and
// returns its address and a function that stops it and returns run's error.
func runServer(t *testing.T, args ...string) (addr string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"--listen", "127.0.0.1:0", "--ice-ips", "127.0.0.1", "--udp-port", freeUDPPort(t)}, args...), io.Discard, func(a net.Addr) { addrs <- a })
	}()
	select {
	case a := <-addrs:
		addr = a.String()
	case err := <-done:
		t.Fatalf("server did not start: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start in 10 s")
	}
	return addr, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("server did not stop within 10 s")
			return nil
		}
	}
}

func TestServesPagesAndHealth(t *testing.T) {
	addr, stop := runServer(t)
	defer func() {
		if err := stop(); err != nil {
			t.Fatal(err)
		}
	}()
	tests := []struct {
		path, contains string
		status         int
	}{
		{"/healthz", "ok", http.StatusOK},
		{"/room/team-sync", "<html", http.StatusOK},
		{"/", "<html", http.StatusOK},
	}
	for _, tt := range tests {
		resp, err := http.Get("http://" + addr + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || !strings.Contains(strings.ToLower(string(body)), tt.contains) {
			t.Errorf("GET %s: %d %q, want %d containing %q", tt.path, resp.StatusCode, body, tt.status, tt.contains)
		}
	}
}

func TestGracefulShutdownTellsClients(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(), ignoreJoinBuckets)
	addr, stop := runServer(t)
	c, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	join := protocol.Join{Type: protocol.TypeJoin, Version: protocol.Version, Room: "shutdown", Name: "Stayer"}
	if err := c.WriteJSON(join); err != nil {
		t.Fatal(err)
	}
	var got []string
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	readType := func() string {
		_, data, err := c.ReadMessage()
		if err != nil {
			return ""
		}
		var env protocol.Envelope
		_ = json.Unmarshal(data, &env)
		return env.Type
	}
	if typ := readType(); typ != protocol.TypeJoined {
		t.Fatalf("first message %q, want joined", typ)
	}
	start := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("run returned %v", err)
	}
	if d := time.Since(start); d > shutdownGrace {
		t.Errorf("shutdown took %v", d)
	}
	for typ := readType(); typ != ""; typ = readType() {
		got = append(got, typ)
	}
	if len(got) == 0 || got[len(got)-1] != protocol.TypeBye {
		t.Fatalf("client got %v after shutdown, want a final bye", got)
	}
}
