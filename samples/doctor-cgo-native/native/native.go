// Package native compiles its C code for the building machine's CPU (-march=native, -mavx2): the
// portability mistake `gotrace doctor` reports as cgo-host-flags.
package native

/*
#cgo CFLAGS: -O2 -march=native -mavx2
#include <stdint.h>

static int64_t sum(const int64_t *p, int n) {
	int64_t s = 0;
	for (int i = 0; i < n; i++) {
		s += p[i];
	}
	return s;
}
*/
import "C"

// Sum adds the values in C, in code the compiler may vectorise with AVX2.
func Sum(values []int64) int64 {
	if len(values) == 0 {
		return 0
	}
	return int64(C.sum((*C.int64_t)(&values[0]), C.int(len(values))))
}
