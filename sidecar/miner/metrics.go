package miner

import (
	"context"
	"path"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/loopin-project/loopin/gpu"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// minerMetrics are the miner sidecar's Prometheus metrics.
type minerMetrics struct {
	sealProgress prometheus.Gauge
	height       prometheus.Gauge
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	challenges   *prometheus.CounterVec
	access       *prometheus.CounterVec
	renewals     prometheus.Counter
	memory       *prometheus.GaugeVec
}

// observeMemory records the prover's memory (gpu.Prover.Memory).
func (m *minerMetrics) observeMemory(mem gpu.Memory) {
	m.memory.WithLabelValues("device_in_use").Set(float64(mem.DeviceInUse))
	m.memory.WithLabelValues("device_peak").Set(float64(mem.DevicePeak))
	m.memory.WithLabelValues("host_peak").Set(float64(mem.HostPeak))
}

func newMetrics(reg prometheus.Registerer) *minerMetrics {
	m := &minerMetrics{
		sealProgress: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_miner_seal_progress",
			Help: "Fraction of the seal's layers labeled (1 once sealed or loaded from disk)."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "loopin_miner_chain_height",
			Help: "Latest block height seen on the node."}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_miner_requests_total",
			Help: "Challenge and lease-access requests served, by gRPC method and status code."}, []string{"method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "loopin_miner_request_seconds",
			Help: "Time to answer a request, by gRPC method (seconds).", Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"method"}),
		challenges: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_miner_challenges_total",
			Help: "This device's challenges closed on chain while the sidecar ran, by outcome (passed, failed, missed)."}, []string{"outcome"}),
		access: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "loopin_miner_lease_access_total",
			Help: "Lease-access requests answered, by result (granted, refused)."}, []string{"result"}),
		renewals: prometheus.NewCounter(prometheus.CounterOpts{Name: "loopin_miner_renewals_total",
			Help: "LP stake renewals submitted and included."}),
		memory: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "loopin_miner_memory_bytes",
			Help: "The prover's memory in bytes: device_in_use, device_peak (device memory it allocated, now and at most) and host_peak (the process's peak resident set)."}, []string{"kind"}),
	}
	reg.MustRegister(m.sealProgress, m.height, m.requests, m.latency, m.challenges, m.access, m.renewals, m.memory)
	return m
}

// interceptor counts and times every gRPC request.
func (m *minerMetrics) interceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := handler(ctx, req)
	method := path.Base(info.FullMethod)
	m.requests.WithLabelValues(method, status.Code(err).String()).Inc()
	m.latency.WithLabelValues(method).Observe(time.Since(start).Seconds())
	return resp, err
}
