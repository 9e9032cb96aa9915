package infra

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// matchesPattern is enough of EventBridge's matching for the rule: every
// field of the pattern must be in the event, a list matches when the
// event's value is one of its (string) values, an object recurses.
func matchesPattern(pattern, event map[string]any) bool {
	for k, want := range pattern {
		got, ok := event[k]
		if !ok {
			return false
		}
		switch w := want.(type) {
		case []any:
			if !slices.ContainsFunc(w, func(v any) bool { return reflect.DeepEqual(v, got) }) {
				return false
			}
		case map[string]any:
			sub, ok := got.(map[string]any)
			if !ok || !matchesPattern(w, sub) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// rotationEvent is a Secrets Manager service event as CloudTrail hands it
// to EventBridge (RotationFailed and friends carry no "resources"; the
// secret is in additionalEventData).
func rotationEvent(eventName, secretArn string) map[string]any {
	var e map[string]any
	raw := `{
	  "version": "0", "id": "7e2c...", "detail-type": "AWS Service Event via CloudTrail",
	  "source": "aws.secretsmanager", "account": "123456789012", "time": "2026-12-04T18:33:49Z",
	  "region": "us-east-1", "resources": [],
	  "detail": {
	    "eventVersion": "1.08", "userIdentity": {"accountId": "123456789012", "invokedBy": "secretsmanager.amazonaws.com"},
	    "eventSource": "secretsmanager.amazonaws.com", "eventName": "` + eventName + `", "awsRegion": "us-east-1",
	    "requestParameters": null, "responseElements": null,
	    "additionalEventData": {"SecretId": "` + secretArn + `"},
	    "eventType": "AwsServiceEvent", "managementEvent": true, "eventCategory": "Management"
	  }
	}`
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		panic(err)
	}
	return e
}

func checkEventPattern(t *testing.T, raw, secretArn string) {
	t.Helper()
	var pattern map[string]any
	if err := json.Unmarshal([]byte(raw), &pattern); err != nil {
		t.Fatalf("event pattern is not JSON: %v\n%s", err, raw)
	}
	for _, c := range []struct {
		event map[string]any
		want  bool
	}{
		{rotationEvent("RotationFailed", secretArn), true},
		{rotationEvent("RotationAbandoned", secretArn), true},
		{rotationEvent("TestRotationFailed", secretArn), true},
		{rotationEvent("RotationSucceeded", secretArn), false},
		{rotationEvent("RotationStarted", secretArn), false},
		{rotationEvent("RotationFailed", otherSecretArn), false},
		{rotationEvent("RotationFailed", replicaArn(secretArn, "eu-west-1")), false},
	} {
		if got := matchesPattern(pattern, c.event); got != c.want {
			detail := c.event["detail"].(map[string]any)
			t.Errorf("%s of %v matched = %v, want %v", detail["eventName"], detail["additionalEventData"], got, c.want)
		}
	}
	// An API call event with the same name (there is none today) is not a
	// service event.
	api := rotationEvent("RotationFailed", secretArn)
	api["detail-type"] = "AWS API Call via CloudTrail"
	if matchesPattern(pattern, api) {
		t.Error("the pattern matches API call events")
	}
}

func TestRotationFailedEventPattern(t *testing.T) {
	raw, err := rotationFailedEventPattern(testSecretArn)
	if err != nil {
		t.Fatal(err)
	}
	checkEventPattern(t, raw, testSecretArn)
	if !strings.Contains(raw, `"additionalEventData":{"SecretId":["`+testSecretArn+`"]}`) {
		t.Errorf("pattern %s does not select the secret by additionalEventData.SecretId", raw)
	}
}
