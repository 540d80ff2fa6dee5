package system

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// chromium returns Debian's Chromium, skipping the test where it is not
// installed — except under .ci/run (LOOPIN_CI=1), which installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("LOOPIN_CI") == "1" {
		t.Fatal("chromium is missing: apt-get install -y chromium")
	}
	t.Skip("the market page's browser test needs Chromium: apt-get install -y chromium")
	return ""
}

// artifactDir is where tests write files worth keeping (screenshots):
// $LOOPIN_ARTIFACTS, or build/artifacts.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("LOOPIN_ARTIFACTS")
	if dir == "" {
		dir = "../../build/artifacts"
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return dir
}

// restAt GETs a REST path at a block height (x-cosmos-block-height) and
// decodes its JSON into v.
func restAt(t *testing.T, port int, height, path string, v any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d%s", port, path), nil)
	require.NoError(t, err)
	if height != "" {
		req.Header.Set("x-cosmos-block-height", height)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", path, body)
	require.NoError(t, json.Unmarshal(body, v), "%s: %s", path, body)
}

// formatLOOP is market.js's fmtLOOP: uloop (a decimal string, truncated)
// as LOOP with 6 decimals below 1 LOOP, 4 below 1 000 and 2 above,
// thousands separated by commas.
func formatLOOP(uloop string) string {
	u, ok := new(big.Int).SetString(strings.SplitN(uloop, ".", 2)[0], 10)
	if !ok {
		return "bad amount " + uloop
	}
	whole, frac := new(big.Int).QuoRem(u, big.NewInt(1_000_000), new(big.Int))
	decimals := 6
	switch {
	case whole.Cmp(big.NewInt(1000)) >= 0:
		decimals = 2
	case whole.Sign() > 0:
		decimals = 4
	}
	digits := whole.String()
	var grouped []string
	for len(digits) > 3 {
		grouped = append([]string{digits[len(digits)-3:]}, grouped...)
		digits = digits[:len(digits)-3]
	}
	grouped = append([]string{digits}, grouped...)
	return strings.Join(grouped, ",") + "." + fmt.Sprintf("%06d", frac.Int64())[:decimals] + " LOOP"
}

func TestFormatLOOP(t *testing.T) {
	for in, want := range map[string]string{
		"26040.000000000000000000": "0.026040 LOOP",
		"15938":                    "0.015938 LOOP",
		"1234567":                  "1.2345 LOOP",
		"1234567890123":            "1,234,567.89 LOOP",
		"0":                        "0.000000 LOOP",
	} {
		require.Equal(t, want, formatLOOP(in), in)
	}
}

// TestSystemMarketPage runs a localnet-style chain (a node, a verifier and
// a CPU miner with an LP stake on rtx-4090) and drives the market page in
// headless Chromium: it loads without console errors; the spot price, the
// calculator's total and the chart's intervals are the REST answers at the
// block the page shows; the device is listed; a lease bought by the CLI
// appears. It also checks that /swagger/ serves the LooPIN OpenAPI
// document. A screenshot goes to build/artifacts/market.png.
func TestSystemMarketPage(t *testing.T) {
	browser := chromium(t)
	ln := loopChain(t)
	n, dir := ln.n, ln.dir
	ln.startVerifier()
	m := n.startSidecar(t, "miner", "--from", "miner", "--backend", "cpu", "--class", "rtx-4090", "--stake", "lp",
		"--duration", "1h", "--listen", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--metrics", "", "--dir", filepath.Join(dir, "miner"))

	// The OpenAPI document and its UI.
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	restAt(t, n.rest, "", "/swagger/loopin.swagger.json", &doc)
	for _, p := range []string{"/loopin/pools/v1/pools/{gpu_class}/price_history", "/loopin/pools/v1/leases", "/loopin/pocps/v1/devices",
		"/loopin/rewards/v1/epochs", "/loopin/stake/v1/stakes", "/loopin/pools/v1/pools/{gpu_class}/estimate_buy"} {
		require.Contains(t, doc.Paths, p)
	}
	res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/swagger/", n.rest))
	require.NoError(t, err)
	ui, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Contains(t, string(ui), "loopin.swagger.json")

	// The device is sealed and staked, and an epoch has ended since: the
	// pool has a price snapshot.
	base := "/loopin/pools/v1/pools/rtx-4090"
	require.Eventually(t, func() bool {
		var h struct {
			Points []json.RawMessage `json:"points"`
		}
		var c struct {
			Committed string `json:"committed_devices"`
		}
		restAt(t, n.rest, "", base+"/capacity", &c)
		if c.Committed != "1" {
			return false
		}
		restAt(t, n.rest, "", base+"/price_history?window=3600s&points=60", &h)
		return len(h.Points) >= 2
	}, 3*time.Minute, time.Second, "the miner's device in the pool: %s", tailString(m.logs.String(), 2000))

	// The browser, with every console message, exception and log entry.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 1800))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	defer cancelTimeout()
	var mu sync.Mutex
	var problems, exceptions []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			switch m.Type {
			case chromedp.ConsoleException:
				exceptions = append(exceptions, m.String())
				problems = append(problems, m.String())
			case chromedp.ConsoleError, chromedp.ConsoleWarning:
				problems = append(problems, fmt.Sprintf("%s (%s %s)", m, m.Source, m.URL))
			}
			mu.Unlock()
		}
	}()
	page := fmt.Sprintf("http://127.0.0.1:%d/market", n.rest)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(`#pool-rtx-4090 td.spot[data-raw]`)),
		chromedp.WaitVisible(chromedp.CSS(`#q-total[data-raw]`)),
		chromedp.WaitVisible(chromedp.CSS(`#device-1`))))

	// One refresh's numbers against the REST answers at its block. The
	// page redraws each block, so read everything in one evaluation.
	type shown struct {
		Height, Spot, SpotText, Total, TotalText, CLI, ChartClass string
		ChartPoints, ChartXs                                      int
		Device, Epoch                                             string
		Refreshing                                                bool
	}
	read := func() shown {
		s, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`(() => {
			const q = (s) => document.querySelector(s);
			const ch = window.loopinMarket.chart;
			return {
				Height: document.body.dataset.height,
				Spot: q("#pool-rtx-4090 td.spot").dataset.raw, SpotText: q("#pool-rtx-4090 td.spot").textContent,
				Total: q("#q-total").dataset.raw, TotalText: q("#q-total").textContent, CLI: q("#q-cli").textContent,
				ChartClass: q("#chart").dataset.class, ChartPoints: Number(q("#chart").dataset.points),
				ChartXs: ch ? ch.data[0].length : -1,
				Device: q("#device-1 td.status").textContent,
				Epoch: (q("#epochs tbody tr") || {}).id || "",
				Refreshing: window.loopinMarket.refreshing,
			};
		})()`))
		require.NoError(t, err)
		return s
	}
	// Wait for a refresh that is complete (the chart drawn at the same block).
	var s shown
	require.Eventually(t, func() bool {
		s = read()
		return s.Height != "" && s.ChartPoints > 0 && s.ChartXs == s.ChartPoints+1 && s.Epoch != ""
	}, time.Minute, 500*time.Millisecond, "the page's first complete refresh: %+v", s)
	// Read again until the page is still on the same block at the end of
	// the read (the reads race block production otherwise).
	// Only a read between refreshes, the same before and after, is one
	// block's state.
	require.Eventually(t, func() bool {
		a, b := read(), read()
		if a.Refreshing || b.Refreshing || a.Height != b.Height || a.ChartPoints == 0 {
			return false
		}
		s = a
		return true
	}, time.Minute, 100*time.Millisecond, "a read between two refreshes")
	var spot struct {
		PerGpuHour string `json:"per_gpu_hour"`
	}
	restAt(t, n.rest, s.Height, base+"/spot_price", &spot)
	require.Equal(t, spot.PerGpuHour, s.Spot, "the spot price at block %s", s.Height)
	require.Equal(t, formatLOOP(spot.PerGpuHour)+"/GPU-h", s.SpotText)

	secs := regexp.MustCompile(`buy-lease rtx-4090 (\d+)s (\d+) --device (\d+)`).FindStringSubmatch(s.CLI)
	require.Len(t, secs, 4, "the calculator's command: %q", s.CLI)
	var quote struct {
		Total    string `json:"total"`
		DeviceID string `json:"device_id"`
	}
	restAt(t, n.rest, s.Height, base+"/estimate_buy?duration="+secs[1]+"s", &quote)
	require.Equal(t, quote.Total, s.Total, "the calculator's total is EstimateBuy's at block %s", s.Height)
	require.Equal(t, quote.Total, secs[2], "the command pays at most the total")
	require.Equal(t, quote.DeviceID, secs[3])
	require.Equal(t, formatLOOP(quote.Total), s.TotalText)

	require.Equal(t, "rtx-4090", s.ChartClass)
	var hist struct {
		Points []json.RawMessage `json:"points"`
	}
	restAt(t, n.rest, s.Height, base+"/price_history?window=86400s&points=96", &hist)
	require.Equal(t, len(hist.Points), s.ChartPoints, "the chart has the snapshots' intervals")
	require.Equal(t, "sealed", s.Device)

	mu.Lock()
	require.Empty(t, problems, "the page loads without console errors")
	mu.Unlock()

	// A lease bought with the CLI appears.
	var est struct {
		Total string `json:"total"`
	}
	require.NoError(t, n.qjson(&est, "pools", "estimate-buy", "rtx-4090", "2m"))
	total, err := strconv.ParseInt(est.Total, 10, 64)
	require.NoError(t, err)
	n.tx("tx", "pools", "buy-lease", "rtx-4090", "2m", strconv.FormatInt(total*2, 10), "--from", "client")
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#lease-1`))))
	leaseStatus, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#lease-1 td.status`)))
	require.NoError(t, err)
	require.Equal(t, "active", leaseStatus)

	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	shot := filepath.Join(artifactDir(t), "market.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot: %s", shot)
	mu.Lock()
	require.Empty(t, exceptions, "no script errors after the lease either")
	require.Empty(t, problems, "no console errors with the only device leased: the calculator asks nothing the node would refuse")
	mu.Unlock()
}
