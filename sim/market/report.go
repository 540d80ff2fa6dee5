package market

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	rewardskeeper "github.com/loopin-project/loopin/x/rewards/keeper"

	sdkmath "cosmossdk.io/math"
)

// Role totals one kind of miner's commitments, uloop.
type Role struct {
	Commitments, Failed int
	// Injected, Payout, Proceeds, Rewards, Fees and Lost total the
	// StakeResult fields; Net is their StakeResult.Net.
	Injected, Payout, Proceeds, Rewards, Fees, Lost, Net int64
	// DeviceDays is the committed time, device-days.
	DeviceDays float64
}

// NetPerDeviceDay is Net per committed device-day, uloop.
func (r Role) NetPerDeviceDay() float64 {
	if r.DeviceDays == 0 {
		return 0
	}
	return float64(r.Net) / r.DeviceDays
}

// Summary is what a run measured. Prices are uloop per GPU-hour; the price
// statistics and utilisation cover the samples from WarmUp on (the LP
// miners' arrival is a ramp, not the market).
type Summary struct {
	WarmUp         time.Duration
	ReferencePrice float64
	// SpotStart … SpotMean describe the hourly spot price after the warm-up.
	SpotStart, SpotEnd, SpotMin, SpotMax, SpotMean float64
	// VolHourly and VolDaily are the standard deviations of the log price
	// changes from one epoch end to the next, and from one day to the next.
	VolHourly, VolDaily float64
	// DailySwing is the mean over whole days of max/min − 1 of the spot
	// price within the day; MaxDailySwing the largest.
	DailySwing, MaxDailySwing float64
	// Utilisation is the mean share of committed devices serving a lease;
	// Committed the mean number of committed devices.
	Utilisation, Committed float64
	// Leases counts purchases; RefusedNoDevice arrivals that found no idle
	// device covering the lease, RefusedShallow those the pool could not
	// sell; Terminated and Broken the leases ended early by the client and
	// by a failure.
	Leases, RefusedNoDevice, RefusedShallow, Terminated, Broken int
	// ClientCost is what clients paid, net of refunds, per GPU-hour they
	// kept, uloop.
	ClientCost float64
	// LP and Seller total the commitments by kind.
	LP, Seller Role
	// ExchangeFees (trades), StakingFees (α per commitment) and Collateral
	// (failed sales' collateral and deposit) are what was burned, uloop.
	ExchangeFees, StakingFees, Collateral int64
	// Rewards is the miners' emission credited, uloop.
	Rewards int64
	// Failures counts confirmed failures.
	Failures int
	// Gamma is the mean realized reward rate γ after the warm-up, uloop
	// per committed GPU-second; TMin = ⌈α/(γ−β)⌉ at that γ (x/rewards TMin, what `loopind
	// q rewards economics` reports for the chain's γ), 0 when β ≥ γ.
	Gamma float64
	TMin  time.Duration
}

func summarize(res *Result, s *sim) Summary {
	cfg := res.Config
	sum := Summary{WarmUp: cfg.warmUp()}
	sum.ReferencePrice = s.refF * 3600
	var spots []float64
	var util, committed float64
	n := 0
	perDay := int(24 * time.Hour / cfg.Epoch)
	var daily []float64
	var dayMin, dayMax float64
	dayCount, dayN := 0, 0
	gammaSum, gammaN := 0.0, 0
	for i, smp := range res.Samples {
		if smp.At < sum.WarmUp {
			continue
		}
		n++
		if smp.Gamma > 0 && smp.At-cfg.Epoch >= sum.WarmUp { // epochs begun after the warm-up
			gammaSum += smp.Gamma
			gammaN++
		}
		committed += float64(smp.Committed)
		if smp.Committed > 0 {
			util += float64(smp.Leased) / float64(smp.Committed)
		}
		if smp.Spot <= 0 {
			continue
		}
		spots = append(spots, smp.Spot)
		if (i+1)%perDay == 0 {
			daily = append(daily, smp.Spot)
		}
		if dayCount == 0 || smp.Spot < dayMin {
			dayMin = smp.Spot
		}
		if dayCount == 0 || smp.Spot > dayMax {
			dayMax = smp.Spot
		}
		dayCount++
		if (i+1)%perDay == 0 {
			if dayCount == perDay && dayMin > 0 {
				swing := dayMax/dayMin - 1
				sum.DailySwing += swing
				sum.MaxDailySwing = math.Max(sum.MaxDailySwing, swing)
				dayN++
			}
			dayCount = 0
		}
	}
	if dayN > 0 {
		sum.DailySwing /= float64(dayN)
	}
	if n > 0 {
		sum.Utilisation, sum.Committed = util/float64(n), committed/float64(n)
	}
	if len(spots) > 0 {
		sum.SpotStart, sum.SpotEnd = spots[0], spots[len(spots)-1]
		sum.SpotMin, sum.SpotMax = spots[0], spots[0]
		total := 0.0
		for _, p := range spots {
			sum.SpotMin, sum.SpotMax = math.Min(sum.SpotMin, p), math.Max(sum.SpotMax, p)
			total += p
		}
		sum.SpotMean = total / float64(len(spots))
	}
	sum.VolHourly, sum.VolDaily = logVol(spots), logVol(daily)

	t := s.totals
	sum.Leases, sum.RefusedNoDevice, sum.RefusedShallow = t.leases, t.refusedNoDevice, t.shallow
	sum.Terminated, sum.Broken, sum.Failures = t.terminated, t.broken, t.failures
	if kept := t.boughtSecs - t.returnedSecs; kept > 0 {
		net, _ := new(big.Float).SetInt(new(big.Int).Sub(t.clientPaid, t.clientRefund)).Float64()
		sum.ClientCost = net / (float64(kept) / 3600)
	}
	for _, st := range res.Stakes {
		r := &sum.LP
		if st.Sale {
			r = &sum.Seller
		}
		r.Commitments++
		if st.Failed {
			r.Failed++
		}
		r.Injected += st.Injected
		r.Payout += st.Payout
		r.Proceeds += st.Proceeds
		r.Rewards += st.Rewards
		r.Fees += st.Fee
		r.Lost += st.Lost
		r.Net += st.Net()
		r.DeviceDays += float64(st.Seconds) / 86400
	}
	sum.ExchangeFees = s.book.Burned.Int64()
	sum.StakingFees, sum.Collateral, sum.Rewards = t.stakingFees.Int64(), t.lostCollateral.Int64(), t.rewardsPaid.Int64()
	if gammaN > 0 {
		sum.Gamma = gammaSum / float64(gammaN)
		gamma := sdkmath.LegacyMustNewDecFromStr(strconv.FormatFloat(sum.Gamma, 'f', 12, 64))
		if secs, ok := rewardskeeper.TMin(cfg.Stake.StakingFee, cfg.Stake.MaintenanceRate, gamma); ok {
			sum.TMin = time.Duration(secs) * time.Second
		}
	}
	return sum
}

// logVol is the sample standard deviation of the log changes of prices.
func logVol(prices []float64) float64 {
	if len(prices) < 3 {
		return 0
	}
	var r []float64
	for i := 1; i < len(prices); i++ {
		r = append(r, math.Log(prices[i]/prices[i-1]))
	}
	mean := 0.0
	for _, v := range r {
		mean += v
	}
	mean /= float64(len(r))
	ss := 0.0
	for _, v := range r {
		ss += (v - mean) * (v - mean)
	}
	return math.Sqrt(ss / float64(len(r)-1))
}

// LOOP formats uloop as LOOP with up to 6 decimals, thousands separated.
func LOOP(uloop float64) string {
	s := strconv.FormatFloat(uloop/1e6, 'f', 6, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out + " LOOP"
}

// WriteSummary writes the summary for people.
func WriteSummary(w io.Writer, res *Result) error {
	s, c := res.Summary, res.Config
	pct := func(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + " %" }
	lines := []string{
		fmt.Sprintf("market simulation: %s pool, %d days, seed %d, %d LP miners (%s stakes, renew %.0f %%), %d sellers",
			c.Class, c.Days, c.Seed, c.LPDevices, c.LPStake, 100*c.LPRenew, c.Sellers),
		fmt.Sprintf("spot price (after a %s warm-up): start %s, end %s, min %s, max %s, mean %s per GPU-hour (reference %s)",
			s.WarmUp, LOOP(s.SpotStart), LOOP(s.SpotEnd), LOOP(s.SpotMin), LOOP(s.SpotMax), LOOP(s.SpotMean), LOOP(s.ReferencePrice)),
		fmt.Sprintf("volatility of log price: %s per epoch, %s per day; daily swing (max/min − 1) mean %s, largest %s",
			pct(s.VolHourly), pct(s.VolDaily), pct(s.DailySwing), pct(s.MaxDailySwing)),
		fmt.Sprintf("utilisation %s of %.1f committed devices on average", pct(s.Utilisation), s.Committed),
		fmt.Sprintf("leases: %d bought, %d refused (no idle device %d, pool too shallow %d), %d terminated early, %d broken by a failure",
			s.Leases, s.RefusedNoDevice+s.RefusedShallow, s.RefusedNoDevice, s.RefusedShallow, s.Terminated, s.Broken),
		fmt.Sprintf("client cost: %s per GPU-hour kept", LOOP(s.ClientCost)),
		fmt.Sprintf("LPs: %d stakes (%d failed), %.1f device-days: injected %s, paid back %s, rewards %s, staking fees %s, net %s (%s per device-day)",
			s.LP.Commitments, s.LP.Failed, s.LP.DeviceDays, LOOP(float64(s.LP.Injected)), LOOP(float64(s.LP.Payout)), LOOP(float64(s.LP.Rewards)),
			LOOP(float64(s.LP.Fees)), LOOP(float64(s.LP.Net)), LOOP(s.LP.NetPerDeviceDay())),
		fmt.Sprintf("sellers: %d sales (%d failed), %.1f device-days: proceeds %s, rewards %s, staking fees %s, lost %s, net %s (%s per device-day)",
			s.Seller.Commitments, s.Seller.Failed, s.Seller.DeviceDays, LOOP(float64(s.Seller.Proceeds)), LOOP(float64(s.Seller.Rewards)),
			LOOP(float64(s.Seller.Fees)), LOOP(float64(s.Seller.Lost)), LOOP(float64(s.Seller.Net)), LOOP(s.Seller.NetPerDeviceDay())),
		fmt.Sprintf("burned: exchange fees %s, staking fees %s, failed sales' collateral and deposits %s; %d failures",
			LOOP(float64(s.ExchangeFees)), LOOP(float64(s.StakingFees)), LOOP(float64(s.Collateral)), s.Failures),
		fmt.Sprintf("rewards: %s to miners, realized γ %.3f uloop/GPU-s, T_min = α/(γ−β) = %s (α %s, β %s uloop/GPU-s)",
			LOOP(float64(s.Rewards)), s.Gamma, tminString(s.TMin), LOOP(float64(c.Stake.StakingFee.Int64())), c.Stake.MaintenanceRate),
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n")+"\n")
	return err
}

func tminString(d time.Duration) string {
	if d == 0 {
		return "none (β ≥ γ)"
	}
	return d.String()
}

// WriteSeries writes the samples as CSV: hours since the start, spot price
// (uloop per GPU-hour), unsold GPU-hours, reserve (uloop), committed,
// leased and sold devices, utilisation, the epoch's purchases and refusals,
// and its realized γ.
func WriteSeries(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"hour", "spot_uloop_per_gpu_hour", "unsold_gpu_hours", "reserve_uloop", "committed", "leased", "sold", "utilisation", "purchases", "refused", "gamma_uloop_per_gpu_second"}); err != nil {
		return err
	}
	f := func(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }
	for _, s := range res.Samples {
		util := 0.0
		if s.Committed > 0 {
			util = float64(s.Leased) / float64(s.Committed)
		}
		if err := cw.Write([]string{f(s.At.Hours(), 2), f(s.Spot, 4), f(s.Unsold, 2), f(s.Reserve, 0),
			strconv.Itoa(s.Committed), strconv.Itoa(s.Leased), strconv.Itoa(s.Sold), f(util, 4),
			strconv.Itoa(s.Purchases), strconv.Itoa(s.Refused), f(s.Gamma, 4)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteStakes writes every commitment as CSV (uloop and seconds).
func WriteStakes(w io.Writer, res *Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"miner", "kind", "start_hour", "seconds", "renewals", "injected", "payout", "proceeds", "rewards", "staking_fee", "lost", "net", "balance_net", "failed", "open"}); err != nil {
		return err
	}
	for _, s := range res.Stakes {
		kind := "lp"
		if s.Sale {
			kind = "sale"
		}
		i := func(v int64) string { return strconv.FormatInt(v, 10) }
		if err := cw.Write([]string{strconv.Itoa(s.Miner), kind, strconv.FormatFloat(float64(s.Start-Start.Unix())/3600, 'f', 2, 64),
			i(s.Seconds), strconv.Itoa(s.Renewals), i(s.Injected), i(s.Payout), i(s.Proceeds), i(s.Rewards), i(s.Fee), i(s.Lost),
			i(s.Net()), i(s.BalanceNet(res.Config.Stake.MaintenanceRate)), strconv.FormatBool(s.Failed), strconv.FormatBool(s.Open)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
