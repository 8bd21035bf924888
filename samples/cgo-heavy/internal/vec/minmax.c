#include "vec.h"

void vec_minmax(const double *xs, size_t n, double *lo, double *hi) {
	*lo = n ? xs[0] : 0;
	*hi = *lo;
	for (size_t i = 1; i < n; i++) {
		if (xs[i] < *lo) *lo = xs[i];
		if (xs[i] > *hi) *hi = xs[i];
	}
}
