package prometheus

import (
	"strings"
	"testing"

	"github.com/probe-net/probe/internal/promtest"
)

func TestScrapeConfig(t *testing.T) {
	out := promtest.Check(t, "check", "config", "prometheus.yml")
	if !strings.Contains(out, "2 rule files found") {
		t.Errorf("promtool did not find both rule files:\n%s", out)
	}
}

func TestRules(t *testing.T) {
	promtest.Check(t, "check", "rules", "rules.yml", "alerts.yml")
}

func TestAlertsFire(t *testing.T) {
	promtest.Check(t, "test", "rules", "alerts_test.yml")
}
