// Package cgohash hashes strings in C, so that the build runs cgo and the C compiler.
package cgohash

/*
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>

static uint32_t fnv1a(const char *p, size_t n) {
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 16777619u;
	}
	return h;
}
*/
import "C"

import "unsafe"

// FNV1a is the 32-bit FNV-1a hash of s, computed by C code.
func FNV1a(s string) uint32 {
	if len(s) == 0 {
		return 2166136261
	}
	p := C.CString(s)
	defer C.free(unsafe.Pointer(p))
	return uint32(C.fnv1a(p, C.size_t(len(s))))
}
