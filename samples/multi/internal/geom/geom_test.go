package geom

import "testing"

func TestHullOfSquareWithInnerPoint(t *testing.T) {
	hull := ConvexHull([]Point{{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}})
	if len(hull) != 4 {
		t.Fatalf("hull has %d points, want 4: %v", len(hull), hull)
	}
	if a := Area(hull); a != 4 {
		t.Fatalf("area %v, want 4", a)
	}
}
