#include "vec.h"

double vec_dot(const double *xs, const double *ys, size_t n) {
	double s = 0;
	for (size_t i = 0; i < n; i++) {
		s += xs[i] * ys[i];
	}
	return s;
}
