package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// trafficReport is what traffic prints when done.
type trafficReport struct {
	Sent     int            `json:"sent"`
	OK       int            `json:"ok"`
	Failed   int            `json:"failed"`
	ByNode   map[string]int `json:"by_node"`
	ByStatus map[string]int `json:"by_status"`
}

// traffic sends API requests at a steady rate, spreading them over the
// given node URLs like a load balancer: a request that fails is retried
// once on the next URL.
func traffic(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("traffic", stderr)
	urls := fs.String("url", "", "node base URLs, comma-separated")
	duration := fs.Duration("duration", 5*time.Second, "how long to send")
	rate := fs.Int("rate", 200, "requests per second")
	path := fs.String("path", "/gateway/test", "request path")
	insecure := fs.Bool("insecure", false, "skip TLS verification")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var targets []string
	for _, u := range strings.Split(*urls, ",") {
		if u = strings.TrimSpace(u); u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || p.Host == "" {
			return exitUsage{fmt.Sprintf("invalid URL %q", u)}
		}
		targets = append(targets, strings.TrimSuffix(u, "/"))
	}
	switch {
	case len(targets) == 0:
		return exitUsage{"-url is required"}
	case *rate < 1 || *rate > 10000:
		return exitUsage{"-rate must be between 1 and 10000"}
	case *duration <= 0:
		return exitUsage{"-duration must be positive"}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: *insecure}, MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()

	rep := trafficReport{ByNode: map[string]int{}, ByStatus: map[string]int{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	tick := time.NewTicker(time.Second / time.Duration(*rate))
	defer tick.Stop()
	end := time.After(*duration)
	for i := 0; ; i++ {
		select {
		case <-end:
			wg.Wait()
			b, _ := json.MarshalIndent(rep, "", "  ")
			fmt.Fprintf(stdout, "%s\n", b)
			return nil
		case <-tick.C:
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			node, status := send(client, targets, i, *path)
			mu.Lock()
			defer mu.Unlock()
			rep.Sent++
			rep.ByStatus[status]++
			if node != "" {
				rep.OK++
				rep.ByNode[node]++
			} else {
				rep.Failed++
			}
		}(i)
	}
}

// send tries the i-th target and then the next one; it returns the node
// that answered 200 (or "") and the last status seen.
func send(client *http.Client, targets []string, i int, path string) (node, status string) {
	for try := 0; try < 2 && try < len(targets); try++ {
		u := targets[(i+try)%len(targets)] + path
		req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, http.NoBody)
		if err != nil {
			return "", "error"
		}
		resp, err := client.Do(req)
		if err != nil {
			status = "error"
			continue
		}
		var body struct {
			Node string `json:"node"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		status = fmt.Sprint(resp.StatusCode)
		if resp.StatusCode == http.StatusOK {
			return body.Node, status
		}
	}
	return "", status
}
