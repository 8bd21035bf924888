#include <stdint.h>
#include <stddef.h>

double vec_sum(const double *xs, size_t n);
double vec_dot(const double *xs, const double *ys, size_t n);
void vec_minmax(const double *xs, size_t n, double *lo, double *hi);
uint64_t vec_hash(const char *p, size_t n);
