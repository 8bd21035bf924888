// Package vec does small vector arithmetic in C, one C file per function, so that the go command
// runs the C compiler several times for one package.
package vec

/*
#include <stdlib.h>
#include "vec.h"
*/
import "C"

import "unsafe"

func ptr(xs []float64) *C.double {
	if len(xs) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&xs[0]))
}

// Sum adds xs.
func Sum(xs []float64) float64 { return float64(C.vec_sum(ptr(xs), C.size_t(len(xs)))) }

// Dot is the dot product of xs and ys (of equal length).
func Dot(xs, ys []float64) float64 {
	return float64(C.vec_dot(ptr(xs), ptr(ys), C.size_t(len(xs))))
}

// MinMax returns the smallest and largest of xs.
func MinMax(xs []float64) (lo, hi float64) {
	var l, h C.double
	C.vec_minmax(ptr(xs), C.size_t(len(xs)), &l, &h)
	return float64(l), float64(h)
}

// Hash is the 64-bit FNV-1a hash of s.
func Hash(s string) uint64 {
	p := C.CString(s)
	defer C.free(unsafe.Pointer(p))
	return uint64(C.vec_hash(p, C.size_t(len(s))))
}
