// Command cgoheavy uses two cgo packages: one with several C files, one with C++.
package main

import (
	"fmt"

	"example.com/cgoheavy/internal/vec"
	"example.com/cgoheavy/internal/words"
)

func main() {
	xs := []float64{3, 1, 4, 1, 5, 9, 2, 6}
	lo, hi := vec.MinMax(xs)
	fmt.Printf("sum=%g dot=%g min=%g max=%g hash=%08x words=%d\n",
		vec.Sum(xs), vec.Dot(xs, xs), lo, hi, vec.Hash("gotrace"), words.Count("the quick brown fox"))
}
