package rotation

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Step names one of the four phases of a Secrets Manager rotation.
type Step string

// The steps Secrets Manager invokes, in order, with the same token.
const (
	CreateSecret Step = "createSecret"
	SetSecret    Step = "setSecret"
	TestSecret   Step = "testSecret"
	FinishSecret Step = "finishSecret"
)

// Steps lists the steps in the order Secrets Manager runs them.
var Steps = []Step{CreateSecret, SetSecret, TestSecret, FinishSecret}

// ErrMalformedEvent is returned (wrapped) for an event that is not a rotation
// event; nothing is read from or written to Secrets Manager then.
var ErrMalformedEvent = errors.New("malformed rotation event")

// Event is what Secrets Manager sends to a rotation function.
type Event struct {
	Step               Step   `json:"Step"`
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken"`
	// RotationToken is only sent for cross-account rotations; it is accepted
	// and ignored because the function rotates a secret of its own account.
	RotationToken string `json:"RotationToken,omitempty"`
}

// ParseEvent decodes and checks a rotation event. Its errors name the field
// and what was expected.
func ParseEvent(payload []byte) (Event, error) {
	var ev Event
	trimmed := bytes.TrimSpace(payload)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return ev, fmt.Errorf("%w: empty payload, want a JSON object with Step, SecretId and ClientRequestToken", ErrMalformedEvent)
	}
	if err := json.Unmarshal(trimmed, &ev); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			return Event{}, fmt.Errorf("%w: field %s is a JSON %s, want a string", ErrMalformedEvent, typeErr.Field, typeErr.Value)
		}
		return Event{}, fmt.Errorf("%w: want a JSON object with Step, SecretId and ClientRequestToken: %w", ErrMalformedEvent, err)
	}
	if ev.SecretID == "" {
		return Event{}, fmt.Errorf("%w: field SecretId is missing or empty", ErrMalformedEvent)
	}
	if ev.ClientRequestToken == "" {
		return Event{}, fmt.Errorf("%w: field ClientRequestToken is missing or empty (secret %s)", ErrMalformedEvent, ev.SecretID)
	}
	switch ev.Step {
	case CreateSecret, SetSecret, TestSecret, FinishSecret:
	case "":
		return Event{}, fmt.Errorf("%w: field Step is missing or empty (secret %s)", ErrMalformedEvent, ev.SecretID)
	default:
		return Event{}, fmt.Errorf("%w: field Step is %q, want one of createSecret, setSecret, testSecret, finishSecret (secret %s)", ErrMalformedEvent, ev.Step, ev.SecretID)
	}
	return ev, nil
}
