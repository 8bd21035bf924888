package top

import "example.com/doctor/toolchain/mid"

func Oct(x int) int { return 2 * mid.Quad(x) }
