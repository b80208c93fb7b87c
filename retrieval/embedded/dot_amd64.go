package embedded

// dotsI8 sets out[r] to the dot product of q with row r of rows (rows
// of len(q) values, len(q) a multiple of 16), in SSE2 (dot_amd64.s).
func dotsI8(q []int16, rows []int8, out []int32) {
	if len(q)%16 != 0 || len(rows) < len(q)*len(out) {
		panic("embedded: dotsI8: bad lengths")
	}
	if len(out) > 0 {
		dotsI8SSE(q, rows, out)
	}
}

//go:noescape
func dotsI8SSE(q []int16, rows []int8, out []int32)
