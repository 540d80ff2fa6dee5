package types

import (
	"time"

	"cosmossdk.io/errors"
	"cosmossdk.io/math"
)

// Default x/pocps parameters: the mainnet-upgrade blog's score constants.
var (
	// DefaultAlphaTime is α = 2.303 = ln 10: a new device earns 10 %.
	DefaultAlphaTime = math.LegacyMustNewDecFromStr("2.303")
	// DefaultBetaLoyalty is β = 7.324.
	DefaultBetaLoyalty = math.LegacyMustNewDecFromStr("7.324")
	// DefaultGammaPrivacy is γ = 2.303.
	DefaultGammaPrivacy = math.LegacyMustNewDecFromStr("2.303")
	// DefaultDeltaWork is δ = 7.324.
	DefaultDeltaWork = math.LegacyMustNewDecFromStr("7.324")
	// MaxScoreExponent bounds each score constant, so that exp's argument
	// stays in [−MaxScoreExponent, 0] for the deterministic exp.
	MaxScoreExponent = math.LegacyNewDec(64)
)

const (
	// DefaultChallengeInterval challenges each device at least every 6 epochs.
	DefaultChallengeInterval = 6
	// DefaultChallengeDeadline gives a verifier 10 minutes of block time.
	DefaultChallengeDeadline = 10 * time.Minute
	// DefaultConfirmations is the number of failed reports that confirm a failure.
	DefaultConfirmations = 2
	// DefaultMaxMissed is the number of missed deadlines before a verifier
	// stops being assigned.
	DefaultMaxMissed = 3
	// DefaultT0 is the 30-day ramp-up of PoT.
	DefaultT0 = 30 * 24 * time.Hour
	// DefaultPLimit is the benchmark privacy level (0..100); see docs/params.md.
	DefaultPLimit = 80
	// DefaultKeyWindow lets a miner anchor its device key to any of the last
	// 14400 blocks (a day of 6 s blocks) and seal before registering.
	DefaultKeyWindow = 14400
	// MaxKeyWindow bounds the block hashes x/pocps keeps.
	MaxKeyWindow = 1_000_000
	// DefaultMissHalfLife halves a verifier's misses every 24 epochs (a day).
	DefaultMissHalfLife = 24
	// DefaultMaxFailures fails a device after 3 failed reports in a row when
	// fewer than `confirmations` different verifiers could be asked.
	DefaultMaxFailures = 3
	// DefaultMaxSetupAttempts bounds one registration's setup challenges.
	DefaultMaxSetupAttempts = 4
	// DefaultDeviceRetention keeps a FAILED device a week.
	DefaultDeviceRetention = 7 * 24 * time.Hour
	// DefaultChallengeRetention keeps a closed challenge a week.
	DefaultChallengeRetention = 7 * 24 * time.Hour
	// DefaultReportCooldown refuses a lease report within 10 minutes of
	// the device's last pass.
	DefaultReportCooldown = 10 * time.Minute
)

// DefaultRegistrationDeposit is 10 LOOP (10⁷ uloop): about ten setup
// checks' worth of a verifier's time at the staking fee's price (1 LOOP
// for a stake), and refunded in full to an honest miner.
var DefaultRegistrationDeposit = math.NewInt(10_000_000)

// DefaultParams returns the mainnet x/pocps parameters.
func DefaultParams() Params {
	return Params{
		ChallengeInterval: DefaultChallengeInterval,
		ChallengeDeadline: DefaultChallengeDeadline,
		Confirmations:     DefaultConfirmations,
		MaxMissed:         DefaultMaxMissed,
		AlphaTime:         DefaultAlphaTime,
		T0:                DefaultT0,
		BetaLoyalty:       DefaultBetaLoyalty,
		GammaPrivacy:      DefaultGammaPrivacy,
		PLimit:            DefaultPLimit,
		DeltaWork:         DefaultDeltaWork,
		KeyWindow:         DefaultKeyWindow,

		RegistrationDeposit: DefaultRegistrationDeposit,
		MissHalfLife:        DefaultMissHalfLife,
		MaxFailures:         DefaultMaxFailures,
		MaxSetupAttempts:    DefaultMaxSetupAttempts,
		DeviceRetention:     DefaultDeviceRetention,
		ChallengeRetention:  DefaultChallengeRetention,
		ReportCooldown:      DefaultReportCooldown,
	}
}

// Validate checks every parameter; it returns ErrInvalidParams wrapped with
// the name and value of the first bad one.
func (p Params) Validate() error {
	if p.ChallengeInterval < 1 {
		return errors.Wrapf(ErrInvalidParams, "challenge_interval must be at least 1 epoch, got %d", p.ChallengeInterval)
	}
	if p.ChallengeDeadline < time.Second {
		return errors.Wrapf(ErrInvalidParams, "challenge_deadline must be at least 1s, got %s", p.ChallengeDeadline)
	}
	if p.Confirmations < 1 {
		return errors.Wrapf(ErrInvalidParams, "confirmations must be at least 1, got %d", p.Confirmations)
	}
	if p.MaxMissed < 1 {
		return errors.Wrapf(ErrInvalidParams, "max_missed must be at least 1, got %d", p.MaxMissed)
	}
	if p.T0 < time.Second || p.T0%time.Second != 0 {
		return errors.Wrapf(ErrInvalidParams, "t0 must be a whole number of seconds ≥ 1s, got %s", p.T0)
	}
	if p.PLimit < 1 || p.PLimit > 100 {
		return errors.Wrapf(ErrInvalidParams, "p_limit must be in [1, 100], got %d", p.PLimit)
	}
	if p.KeyWindow < 1 || p.KeyWindow > MaxKeyWindow {
		return errors.Wrapf(ErrInvalidParams, "key_window must be in [1, %d] blocks, got %d", MaxKeyWindow, p.KeyWindow)
	}
	if p.RegistrationDeposit.IsNil() || p.RegistrationDeposit.IsNegative() {
		return errors.Wrapf(ErrInvalidParams, "registration_deposit must be a non-negative uloop amount, got %s", p.RegistrationDeposit)
	}
	if p.MissHalfLife < 1 {
		return errors.Wrapf(ErrInvalidParams, "miss_half_life must be at least 1 epoch, got %d", p.MissHalfLife)
	}
	if p.MaxFailures < p.Confirmations {
		return errors.Wrapf(ErrInvalidParams, "max_failures must be at least confirmations (%d), got %d", p.Confirmations, p.MaxFailures)
	}
	if p.MaxSetupAttempts < p.Confirmations || p.MaxSetupAttempts > 64 {
		return errors.Wrapf(ErrInvalidParams, "max_setup_attempts must be in [confirmations (%d), 64], got %d", p.Confirmations, p.MaxSetupAttempts)
	}
	if p.DeviceRetention < time.Second {
		return errors.Wrapf(ErrInvalidParams, "device_retention must be at least 1s, got %s", p.DeviceRetention)
	}
	if p.ChallengeRetention < p.ChallengeDeadline {
		return errors.Wrapf(ErrInvalidParams, "challenge_retention must be at least challenge_deadline (%s), got %s", p.ChallengeDeadline, p.ChallengeRetention)
	}
	if p.ReportCooldown < time.Second {
		return errors.Wrapf(ErrInvalidParams, "report_cooldown must be at least 1s, got %s", p.ReportCooldown)
	}
	for _, c := range []struct {
		name string
		v    math.LegacyDec
	}{
		{"alpha_time", p.AlphaTime},
		{"beta_loyalty", p.BetaLoyalty},
		{"gamma_privacy", p.GammaPrivacy},
		{"delta_work", p.DeltaWork},
	} {
		if c.v.IsNil() || c.v.IsNegative() || c.v.GT(MaxScoreExponent) {
			return errors.Wrapf(ErrInvalidParams, "%s must be in [0, %s], got %s", c.name, MaxScoreExponent, c.v)
		}
	}
	return nil
}
