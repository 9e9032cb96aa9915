package jwtkeys

import (
	"errors"
	"fmt"
)

// Errors to match with errors.Is. None of the errors Keys returns contains
// a secret value.
var (
	// ErrInvalidToken: Verify rejected the token (answer 401). The error
	// also matches the golang-jwt error that says why, or ErrUnknownKey.
	ErrInvalidToken = errors.New("jwtkeys: invalid token")

	// ErrUnknownKey: the token's kid is neither the AWSCURRENT nor the
	// AWSPREVIOUS version of the secret, even after a refetch (or the
	// refetch was skipped by the unknown-key interval). A token signed two
	// rotations ago, or after an emergency invalidation, ends here.
	ErrUnknownKey = errors.New("token key id is neither the current nor the previous version of the secret")

	// ErrUnavailable: there are no usable keys because Secrets Manager could
	// not be read (answer 503, not 401). The error wraps the SDK's.
	ErrUnavailable = errors.New("jwtkeys: signing keys are unavailable")

	// ErrStale: the cached keys are older than the maximum staleness and
	// refreshing them failed. It also matches ErrUnavailable.
	ErrStale = fmt.Errorf("%w: cached keys are older than the maximum staleness", ErrUnavailable)
)

// errKidNotString is the keyfunc's answer to a kid header that is not a JSON
// string.
var errKidNotString = errors.New("token key id (kid) is not a string")
