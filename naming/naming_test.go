package naming

import (
	"strings"
	"testing"
)

func TestValidateStage(t *testing.T) {
	for _, ok := range []string{"dev", "prod", "a", "eu-prod-2", strings.Repeat("a", MaxStageLength)} {
		if err := ValidateStage(ok); err != nil {
			t.Errorf("ValidateStage(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Prod!", "Prod", "-dev", "dev-", "dev_1", "dev stage", strings.Repeat("a", MaxStageLength+1)} {
		err := ValidateStage(bad)
		if err == nil {
			t.Errorf("ValidateStage(%q): no error", bad)
			continue
		}
		if !strings.Contains(err.Error(), `"`+bad+`"`) || !strings.Contains(err.Error(), "lowercase letters, digits and hyphens") {
			t.Errorf("ValidateStage(%q): error %q does not name the value and what is allowed", bad, err)
		}
	}
}

// TestNames pins the names the old setup script used, which app Lambdas
// already look up.
func TestNames(t *testing.T) {
	if got := SecretName("prod"); got != "prod-auris-jwt-secret" {
		t.Errorf("SecretName(prod) = %q", got)
	}
	if got := RotationFunctionName("dev"); got != "dev-auris-jwt-rotation" {
		t.Errorf("RotationFunctionName(dev) = %q", got)
	}
}
