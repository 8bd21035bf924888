// Package words counts words in C++, so that the go command runs the C++ compiler (g++) as well.
package words

/*
#include <stdlib.h>
#include "words.h"
*/
import "C"

import "unsafe"

// Count is the number of space-separated words in s.
func Count(s string) int {
	p := C.CString(s)
	defer C.free(unsafe.Pointer(p))
	return int(C.words_count(p))
}
