package rotation

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEvent(t *testing.T) {
	ok := `{"Step":"testSecret","SecretId":"arn:x","ClientRequestToken":"tok","RotationToken":"rt"}`
	ev, err := ParseEvent([]byte(ok))
	if err != nil {
		t.Fatal(err)
	}
	if ev != (Event{Step: TestSecret, SecretID: "arn:x", ClientRequestToken: "tok", RotationToken: "rt"}) {
		t.Fatalf("parsed %+v", ev)
	}

	bad := []struct{ payload, mention string }{
		{``, "empty payload"},
		{`null`, "empty payload"},
		{`[]`, "JSON object"},
		{`"createSecret"`, "JSON object"},
		{`{"Step":"createSecret","SecretId":"arn:x"}`, "ClientRequestToken is missing"},
		{`{"Step":"createSecret","ClientRequestToken":"tok"}`, "SecretId is missing"},
		{`{"SecretId":"arn:x","ClientRequestToken":"tok"}`, "Step is missing"},
		{`{"Step":"rotate","SecretId":"arn:x","ClientRequestToken":"tok"}`, `Step is "rotate", want one of`},
		{`{"Step":1,"SecretId":"arn:x","ClientRequestToken":"tok"}`, "field Step is a JSON number, want a string"},
		{`{"Step":"createSecret","SecretId":{"a":1},"ClientRequestToken":"tok"}`, "field SecretId is a JSON object"},
		{`{"Step":"createSecret","SecretId":"arn:x","ClientRequestToken":true}`, "field ClientRequestToken is a JSON bool"},
		{`{"Step":"createSecret",`, "JSON object"},
	}
	for _, b := range bad {
		_, err := ParseEvent([]byte(b.payload))
		if !errors.Is(err, ErrMalformedEvent) {
			t.Errorf("%s: error %v, want ErrMalformedEvent", b.payload, err)
			continue
		}
		if !strings.Contains(err.Error(), b.mention) {
			t.Errorf("%s: error %q does not say %q", b.payload, err, b.mention)
		}
	}
}
