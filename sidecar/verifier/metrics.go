package verifier

import (
	"github.com/prometheus/client_golang/prometheus"
)

// verifierMetrics are the verifier sidecar's Prometheus metrics.
type verifierMetrics struct {
	challenges *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	reports    *prometheus.CounterVec
	pending    prometheus.Gauge
	height     prometheus.Gauge
	subscribed prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *verifierMetrics {
	m := &verifierMetrics{
		challenges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_verifier_challenges_total",
			Help: "Challenges run, by kind (setup, residency) and verdict (passed, failed)."}, []string{"kind", "verdict"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "loopin_verifier_answer_seconds",
			Help:    "The miner's answer time on the verifier's clock, by phase (setup, residency, gemm), seconds.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"phase"}),
		reports: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_verifier_reports_total",
			Help: "Reports submitted, by outcome (accepted, refused, retry)."}, []string{"outcome"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_verifier_reports_pending",
			Help: "Reports saved on disk and not yet accepted or refused."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_verifier_chain_height",
			Help: "Latest block height seen on the node."}),
		subscribed: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_verifier_events_subscribed",
			Help: "1 while new blocks arrive over the websocket, 0 while polling."}),
	}
	reg.MustRegister(m.challenges, m.latency, m.reports, m.pending, m.height, m.subscribed)
	return m
}
