// Package ok compiles; it shows that the rest of a failing build still runs.
package ok

// Answer is the answer.
func Answer() int { return 42 }
