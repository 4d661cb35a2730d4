// Package scrape reads a server's metrics in the Prometheus text exposition
// format: enough of it for a load generator to follow a server's counters
// and its process's CPU and memory, without depending on any server code.
package scrape

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// ErrBadMetrics means a metrics page could not be read.
var ErrBadMetrics = errors.New("scrape: bad metrics page")

// maxPage bounds what is read from one metrics page.
const maxPage = 8 << 20

// Values maps each series to its value: a series without labels by its
// metric name, one with labels by its name and labels as written
// (`name{a="b"}`).
type Values map[string]float64

// Get returns the value of a series, and whether the page had it.
func (v Values) Get(name string) (float64, bool) {
	x, ok := v[name]
	return x, ok
}

// Parse reads a page in the text exposition format. Comments, blank lines
// and timestamps are skipped.
func Parse(r io.Reader) (Values, error) {
	out := Values{}
	sc := bufio.NewScanner(io.LimitReader(r, maxPage))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, err := splitSeries(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadMetrics, n, err)
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 || len(fields) > 2 {
			return nil, fmt.Errorf("%w: line %d: want a value and an optional timestamp", ErrBadMetrics, n)
		}
		v, err := parseValue(fields[0])
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrBadMetrics, n, err)
		}
		out[name] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMetrics, err)
	}
	return out, nil
}

// splitSeries splits a sample line into its series (name and labels) and the
// rest. Label values may hold spaces and escaped quotes.
func splitSeries(line string) (series, rest string, err error) {
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return "", "", errors.New("no value")
	}
	if line[i] != '{' {
		return line[:i], line[i:], nil
	}
	inQuote := false
	for j := i + 1; j < len(line); j++ {
		switch c := line[j]; {
		case c == '\\' && inQuote:
			j++
		case c == '"':
			inQuote = !inQuote
		case c == '}' && !inQuote:
			return line[:j+1], line[j+1:], nil
		}
	}
	return "", "", errors.New("unterminated labels")
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// Fetch gets and parses the metrics page at url.
func Fetch(ctx context.Context, client *http.Client, url string) (Values, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadMetrics, err)
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	// Uncompressed: asked for gzip (Go's client asks by default), the
	// server keeps a gzip writer of about 1.3 MB (flate's tables) in
	// promhttp's pool while it is scraped every second, a fixed cost that
	// the live heap per subscribed track would otherwise count; on
	// loopback compression saves nothing.
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape: fetching %s: %w", url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: %s answered %s", ErrBadMetrics, url, resp.Status)
	}
	return Parse(resp.Body)
}
