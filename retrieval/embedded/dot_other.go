//go:build !amd64

package embedded

// dotsI8 sets out[r] to the dot product of q with row r of rows (rows
// of len(q) values, len(q) a multiple of 16).
func dotsI8(q []int16, rows []int8, out []int32) {
	if len(q)%16 != 0 || len(rows) < len(q)*len(out) {
		panic("embedded: dotsI8: bad lengths")
	}
	n := len(q)
	for r := range out {
		row := rows[r*n : (r+1)*n]
		var s int32
		for i, x := range q {
			s += int32(x) * int32(row[i])
		}
		out[r] = s
	}
}
