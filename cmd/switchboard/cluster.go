package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/switchboard-rtc/switchboard/metrics"
	"github.com/switchboard-rtc/switchboard/sfu"
	"github.com/switchboard-rtc/switchboard/signaling"
	"github.com/switchboard-rtc/switchboard/signaling/cluster"
)

// clusterConfig is how a node finds the others: without --redis, the
// server is one node on its own, as it always was.
type clusterConfig struct {
	redisURL     string
	nodeID       string
	advertiseURL string
	secret       string
}

func (c *clusterConfig) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.redisURL, "redis", "", "`URL` of the Redis the nodes of a cluster share (redis://host:6379/0; rediss:// for TLS, a password in the URL); none: a single node")
	fs.StringVar(&c.nodeID, "node-id", "", "`name` of this node in logs, metrics and Redis (default: made at start)")
	fs.StringVar(&c.advertiseURL, "advertise-url", "", "base `URL` clients reach this node at (https://sfu-2.example.com)")
	fs.StringVar(&c.secret, "cluster-secret", "", "`secret` every node of the cluster shares: it signs the messages between nodes")
}

var errClusterSecret = errors.New("--redis needs --cluster-secret (or SWITCHBOARD_CLUSTER_SECRET)")

func (c *clusterConfig) validate() error {
	if c.redisURL == "" {
		return nil
	}
	if c.secret == "" {
		return errClusterSecret
	}
	if _, err := redis.ParseURL(c.redisURL); err != nil {
		return fmt.Errorf("--redis: %w", err)
	}
	if c.nodeID == "" {
		c.nodeID = "node-" + rand.Text()[:10]
	}
	return nil
}

// clusterNode is the running node, or nothing on a single server.
type clusterNode struct {
	node *cluster.Node
	rdb  *redis.Client
}

// advertisedURL is the base URL of a listener whose address clients can
// reach as it is; "" for a wildcard address, which names no host.
func advertisedURL(addr net.Addr, tls bool) string {
	host, port, err := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); err != nil || ip == nil || ip.IsUnspecified() {
		return ""
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port)
}

// startCluster joins the cluster; listening is this node's base URL, used
// as the advertised one when --advertise-url is not given.
func startCluster(c *clusterConfig, s *sfu.SFU, log *slog.Logger, listening string, maxParticipants int) (*clusterNode, error) {
	if c.redisURL == "" {
		return &clusterNode{}, nil
	}
	opt, err := redis.ParseURL(c.redisURL)
	if err != nil {
		return nil, err
	}
	// go-redis logs every failed dial itself, many a second while Redis is
	// away: the node says it once, at warn.
	redis.SetLogger(redisLog{log})
	rdb := redis.NewClient(opt)
	advertise := c.advertiseURL
	if advertise == "" {
		advertise = listening
		if advertise == "" {
			log.Warn("no --advertise-url: other nodes cannot send clients to this one when they are full")
		}
	}
	n, err := cluster.New(rdb, s, cluster.WithNodeID(c.nodeID), cluster.WithAdvertiseURL(advertise),
		cluster.WithSecret(c.secret), cluster.WithLogger(log), cluster.WithMaxParticipants(maxParticipants))
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	n.Start()
	log.Info("cluster node started", "redis", opt.Addr)
	return &clusterNode{node: n, rdb: rdb}, nil
}

func (c *clusterNode) signalingOptions() []signaling.Option {
	if c.node == nil {
		return nil
	}
	return []signaling.Option{signaling.WithCluster(c.node)}
}

// collectors are the cluster's series for /metrics, from its table
// (cluster.StatsOf).
func (c *clusterNode) collectors() ([]prometheus.Collector, error) {
	if c.node == nil {
		return nil, nil
	}
	col, err := metrics.NewCollector(c.node.Stats)
	if err != nil {
		return nil, err
	}
	return []prometheus.Collector{col}, nil
}

func (c *clusterNode) close() {
	if c.node != nil {
		_ = c.node.Close()
		_ = c.rdb.Close()
	}
}

// redisLog puts go-redis's own lines in the server's log, at debug.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.Log(ctx, slog.LevelDebug, fmt.Sprintf(format, v...), "from", "go-redis")
}
