package promtest

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestScrapesAndQueries: the harness starts Prometheus, which scrapes a
// server this test starts, and the query API returns what it scraped.
func TestScrapesAndQueries(t *testing.T) {
	Binary(t, "prometheus")
	ln := FreeAddr(t)
	srv := &http.Server{Addr: ln, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "# TYPE promtest_answer gauge\npromtest_answer 42")
	})}
	go srv.ListenAndServe()
	t.Cleanup(func() { srv.Close() })
	s := Start(t, fmt.Sprintf("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: t\n    static_configs:\n      - targets: [%q]\n", ln))
	got := s.Await(t, "promtest_answer", 20*time.Second, func(v []Sample) bool { return len(v) == 1 })
	if got[0].Value != 42 || got[0].Labels["job"] != "t" {
		t.Errorf("promtest_answer = %+v", got[0])
	}
}
