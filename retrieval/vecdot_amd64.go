package retrieval

// vecDotsI8 sets out[r] to the dot product of q with row r of rows (rows
// of len(q) values, len(q) a multiple of 16), in SSE2 (vecdot_amd64.s).
func vecDotsI8(q []int16, rows []int8, out []int32) {
	if len(q)%16 != 0 || len(rows) < len(q)*len(out) {
		panic("retrieval: vecDotsI8: bad lengths")
	}
	if len(out) > 0 {
		vecDotsI8SSE(q, rows, out)
	}
}

//go:noescape
func vecDotsI8SSE(q []int16, rows []int8, out []int32)
