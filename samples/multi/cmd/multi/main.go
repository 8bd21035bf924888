// Command multi ties the sample packages together so that one link depends on all of them.
package main

import (
	"fmt"
	"os"

	"example.com/multi/internal/asmsum"
	"example.com/multi/internal/cgohash"
	"example.com/multi/internal/geom"
	"example.com/multi/internal/textutil"
)

func main() {
	words := textutil.Words("the quick brown fox jumps over the lazy dog")
	hull := geom.ConvexHull([]geom.Point{{X: 0, Y: 0}, {X: 2, Y: 0}, {X: 1, Y: 1}, {X: 2, Y: 2}, {X: 0, Y: 2}})
	fmt.Fprintf(os.Stdout, "words=%d hull=%d sum=%d hash=%08x\n",
		len(words), len(hull), asmsum.Sum([]int64{1, 2, 3, 4}), cgohash.FNV1a("gotrace"))
}
