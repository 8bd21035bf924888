// Package base has no imports, so a cold build of this module compiles three packages and no
// standard library: cheap enough for tests that build it several times.
package base

// Stamp is rewritten by the cache tests to play a generator that changes its output every run.
const Stamp = 1

func Double(x int) int { return 2 * x }
