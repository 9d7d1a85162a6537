// Package canonical writes JSON numbers in one exact form, for the update
// digest (package adapter) and for verified writes (the driver SPI), which
// must agree on when two numbers are the same.
package canonical

import (
	"fmt"
	"math/big"
	"strings"
)

// Number writes the exact value of a JSON number one way: an
// optional minus, the significant digits without leading or trailing
// zeros, and "e" with the exponent when it is not 0 ("1.50" -> "15e-1",
// "1200" -> "12e2", "-0.0" -> "0"). It works on the digits, never
// through float64 (which would merge distinct large integers) nor through
// big.Rat (which 1e100000000 would make allocate without bound).
func Number(s string) (string, error) {
	in := s
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	mant, exp, _ := strings.Cut(strings.ToLower(s), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", fmt.Errorf("%q is not a JSON number", in)
	}
	e := new(big.Int)
	if exp != "" {
		if _, ok := e.SetString(strings.TrimPrefix(exp, "+"), 10); !ok {
			return "", fmt.Errorf("%q is not a JSON number", in)
		}
	}
	e.Sub(e, big.NewInt(int64(len(frac))))
	digits = strings.TrimLeft(digits, "0")
	if digits == "" {
		return "0", nil
	}
	trimmed := strings.TrimRight(digits, "0")
	e.Add(e, big.NewInt(int64(len(digits)-len(trimmed))))
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	b.WriteString(trimmed)
	if e.Sign() != 0 {
		b.WriteByte('e')
		b.WriteString(e.String())
	}
	return b.String(), nil
}
