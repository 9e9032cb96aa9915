package jwtkeys

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults of the options.
const (
	// DefaultTTL is how long fetched keys are used before a refresh, the
	// same 5 minutes as the AWS Parameters and Secrets Lambda Extension.
	DefaultTTL = 5 * time.Minute
	// DefaultStaleWhileRevalidate is how long after the TTL the cached keys
	// keep answering without waiting while a background refresh runs,
	// outside Lambda. In a Lambda execution environment the default is 0:
	// see WithStaleWhileRevalidate.
	DefaultStaleWhileRevalidate = time.Minute
	// DefaultMaxStaleness is how old cached keys may get while refreshes
	// fail before Sign and Verify return ErrStale.
	DefaultMaxStaleness = time.Hour
	// DefaultUnknownKeyInterval is the least time between two fetches
	// caused by tokens whose key id the cache does not know.
	DefaultUnknownKeyInterval = time.Minute
	// DefaultRetryInterval is the least time between a failed fetch and the
	// next automatic one.
	DefaultRetryInterval = 5 * time.Second
	// DefaultFetchTimeout bounds one fetch (two or three GetSecretValue
	// calls, each with the SDK's own retries).
	DefaultFetchTimeout = 10 * time.Second
)

// Option configures Keys; pass options to New.
type Option func(*options)

type options struct {
	ttl                  time.Duration
	staleWhileRevalidate time.Duration
	maxStaleness         time.Duration
	unknownKeyInterval   time.Duration
	retryInterval        time.Duration
	fetchTimeout         time.Duration
	parserOptions        []jwt.ParserOption
	now                  func() time.Time
	clockSet             bool
	log                  *slog.Logger
}

// defaultStaleWhileRevalidate is 0 in a Lambda execution environment.
func defaultStaleWhileRevalidate(getenv func(string) string) time.Duration {
	if getenv("AWS_LAMBDA_FUNCTION_NAME") != "" {
		return 0
	}
	return DefaultStaleWhileRevalidate
}

func defaultOptions() options {
	return options{
		ttl:                  DefaultTTL,
		staleWhileRevalidate: defaultStaleWhileRevalidate(os.Getenv),
		maxStaleness:         DefaultMaxStaleness,
		unknownKeyInterval:   DefaultUnknownKeyInterval,
		retryInterval:        DefaultRetryInterval,
		fetchTimeout:         DefaultFetchTimeout,
		now:                  time.Now,
	}
}

func (o *options) validate() error {
	var errs []error
	if o.ttl <= 0 {
		errs = append(errs, fmt.Errorf("TTL is %s, want more than 0", o.ttl))
	}
	if o.staleWhileRevalidate < 0 {
		errs = append(errs, fmt.Errorf("stale-while-revalidate window is %s, want 0 or more", o.staleWhileRevalidate))
	}
	if o.maxStaleness < o.ttl {
		errs = append(errs, fmt.Errorf("maximum staleness is %s, want at least the TTL (%s)", o.maxStaleness, o.ttl))
	}
	if o.unknownKeyInterval < 0 {
		errs = append(errs, fmt.Errorf("unknown-key interval is %s, want 0 or more", o.unknownKeyInterval))
	}
	if o.retryInterval < 0 {
		errs = append(errs, fmt.Errorf("retry interval is %s, want 0 or more", o.retryInterval))
	}
	if o.fetchTimeout <= 0 {
		errs = append(errs, fmt.Errorf("fetch timeout is %s, want more than 0", o.fetchTimeout))
	}
	if o.now == nil {
		errs = append(errs, errors.New("clock is nil"))
	}
	return errors.Join(errs...)
}

// WithTTL sets how long fetched keys are used as they are (default
// DefaultTTL). After it they are refreshed: see WithStaleWhileRevalidate.
//
// Keep TTL + the longest token lifetime below the rotation interval: see the
// package documentation.
func WithTTL(d time.Duration) Option { return func(o *options) { o.ttl = d } }

// WithStaleWhileRevalidate sets how long after the TTL the cached keys keep
// answering at once while a background refresh runs. Past the TTL plus
// this window, the caller waits for a fetch instead (and gets the cached
// keys if the fetch fails, up to the maximum staleness).
//
// The default is DefaultStaleWhileRevalidate, except in a Lambda execution
// environment (AWS_LAMBDA_FUNCTION_NAME is set), where it is 0: Lambda
// freezes the environment as soon as the handler returns, so a background
// refresh started by a request of microseconds seldom finishes, and the
// cache could otherwise stay on old keys until the maximum staleness. With
// 0, one request per TTL waits for the fetch (two GetSecretValue calls),
// as with the AWS Parameters and Secrets Lambda Extension.
func WithStaleWhileRevalidate(d time.Duration) Option {
	return func(o *options) { o.staleWhileRevalidate = d }
}

// WithMaxStaleness sets how old (since their fetch) cached keys may get
// while refreshes fail (default DefaultMaxStaleness; at least the TTL).
// Past it, Sign and Verify fetch before answering and return an error
// matching ErrStale if that fails.
func WithMaxStaleness(d time.Duration) Option { return func(o *options) { o.maxStaleness = d } }

// WithUnknownKeyInterval sets the least time between two fetches caused by
// tokens whose kid is neither the cached AWSCURRENT nor AWSPREVIOUS version
// (default DefaultUnknownKeyInterval). Such a fetch catches a rotation that
// another process has already seen; the interval keeps tokens with forged
// key ids from turning into Secrets Manager calls. 0 fetches for every
// unknown key id (only concurrent ones share a fetch).
func WithUnknownKeyInterval(d time.Duration) Option {
	return func(o *options) { o.unknownKeyInterval = d }
}

// WithRetryInterval sets the least time between a failed fetch and the next
// automatic one (default DefaultRetryInterval), so that a Secrets Manager
// outage does not turn every request into a call. Refresh ignores it.
func WithRetryInterval(d time.Duration) Option { return func(o *options) { o.retryInterval = d } }

// WithFetchTimeout bounds one fetch of the keys (default
// DefaultFetchTimeout). A caller that waits for a fetch stops waiting when
// its own context ends; the fetch itself goes on, for the other callers.
func WithFetchTimeout(d time.Duration) Option { return func(o *options) { o.fetchTimeout = d } }

// WithParserOptions adds golang-jwt parser options to Verify, typically
// jwt.WithIssuer, jwt.WithAudience and jwt.WithLeeway. Verify always
// requires an expiry (jwt.WithExpirationRequired) and accepts only HS256
// (jwt.WithValidMethods): options passed here cannot change the algorithm.
func WithParserOptions(opts ...jwt.ParserOption) Option {
	return func(o *options) { o.parserOptions = append(o.parserOptions, opts...) }
}

// WithClock sets the clock of the cache and of Verify's time checks
// (expiry, not-before, issued-at), for tests. The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(o *options) { o.now, o.clockSet = now, true }
}

// WithLogger sets where failed refreshes and key changes are logged
// (default: nowhere). Logs carry the secret id and version ids, never a
// value.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }
