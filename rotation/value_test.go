package rotation

import (
	"errors"
	"strings"
	"testing"
)

func TestGenerateValue(t *testing.T) {
	counts := map[rune]int{}
	for _, n := range []int{MinLength, DefaultLength, MaxLength} {
		v, err := GenerateValue(n)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateValue(v, n); err != nil {
			t.Fatalf("length %d: %v", n, err)
		}
		for _, r := range v {
			counts[r]++
		}
	}
	// 4192 draws from 62 letters: every letter is expected ~68 times, so a
	// missing one means the generator does not cover the alphabet.
	if len(counts) != len(Alphabet) {
		t.Fatalf("generated %d distinct characters, want all %d", len(counts), len(Alphabet))
	}
	a, _ := GenerateValue(DefaultLength)
	b, _ := GenerateValue(DefaultLength)
	if a == b {
		t.Fatal("two generated values are equal")
	}
	for _, n := range []int{0, MinLength - 1, MaxLength + 1} {
		if _, err := GenerateValue(n); err == nil {
			t.Errorf("GenerateValue(%d): no error", n)
		}
	}
}

func TestValidateValue(t *testing.T) {
	secretish := strings.Repeat("x", 63) + "é"
	err := ValidateValue(secretish, 64)
	if !errors.Is(err, ErrMalformedValue) {
		t.Fatalf("error %v", err)
	}
	if strings.Contains(err.Error(), "xxxx") {
		t.Fatalf("error %q quotes the value", err)
	}
	for _, v := range []string{strings.Repeat("a", 63) + "-", strings.Repeat("a", 63) + " ", strings.Repeat("a", 65), ""} {
		if ValidateValue(v, 64) == nil {
			t.Errorf("value of %d characters ending %q accepted", len(v), v[max(len(v)-1, 0):])
		}
	}
}

func TestParseLength(t *testing.T) {
	for in, want := range map[string]int{"": DefaultLength, "32": 32, "4096": 4096, "100": 100} {
		if got, err := ParseLength(in); err != nil || got != want {
			t.Errorf("ParseLength(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"16", "abc", "4097", "-64", "64.0"} {
		_, err := ParseLength(in)
		if err == nil || !strings.Contains(err.Error(), LengthEnv) || !strings.Contains(err.Error(), in) || !strings.Contains(err.Error(), "32 to 4096") {
			t.Errorf("ParseLength(%q): error %v, want one naming %s, the value and the range", in, err, LengthEnv)
		}
	}
}
