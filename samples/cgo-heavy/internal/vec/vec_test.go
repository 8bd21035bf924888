package vec

import "testing"

func TestSumDotMinMax(t *testing.T) {
	xs := []float64{3, 1, 4}
	if Sum(xs) != 8 || Dot(xs, xs) != 26 {
		t.Fatalf("Sum %g Dot %g", Sum(xs), Dot(xs, xs))
	}
	if lo, hi := MinMax(xs); lo != 1 || hi != 4 {
		t.Fatalf("MinMax %g %g", lo, hi)
	}
}
