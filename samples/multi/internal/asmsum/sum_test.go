package asmsum

import "testing"

func TestSum(t *testing.T) {
	if got := Sum([]int64{1, 2, 3, 4, -10}); got != 0 {
		t.Fatalf("Sum = %d, want 0", got)
	}
	if got := Sum(nil); got != 0 {
		t.Fatalf("Sum(nil) = %d, want 0", got)
	}
}
