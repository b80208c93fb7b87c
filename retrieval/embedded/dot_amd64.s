#include "textflag.h"

// func dotsI8SSE(q []int16, rows []int8, out []int32)
//
// out[r] = Σ q[i]·rows[r·len(q)+i], for len(out) rows of len(q) values;
// len(q) is a multiple of 16. Integer sums are exact in any order, so
// that eight products are added at once (PMADDWD).
TEXT ·dotsI8SSE(SB), NOSPLIT, $0-72
	MOVQ q_base+0(FP), SI
	MOVQ q_len+8(FP), CX
	MOVQ rows_base+24(FP), DI
	MOVQ out_base+48(FP), DX
	MOVQ out_len+56(FP), R8
	XORQ R9, R9            // row

rowloop:
	CMPQ R9, R8
	JGE done
	PXOR X0, X0
	XORQ AX, AX            // value within the row

chunk:
	CMPQ AX, CX
	JGE rowdone
	MOVOU (DI)(AX*1), X1
	MOVOU X1, X2
	PUNPCKLBW X1, X1       // each byte twice: a word whose high byte is the value,
	PSRAW $8, X1           // shifted down with its sign
	PUNPCKHBW X2, X2
	PSRAW $8, X2
	MOVOU (SI)(AX*2), X3
	MOVOU 16(SI)(AX*2), X4
	PMADDWL X3, X1
	PMADDWL X4, X2
	PADDL X1, X0
	PADDL X2, X0
	ADDQ $16, AX
	JMP chunk

rowdone:
	PSHUFL $0x4E, X0, X1
	PADDL X1, X0
	PSHUFL $0xB1, X0, X1
	PADDL X1, X0
	MOVSS X0, (DX)(R9*4)
	ADDQ CX, DI
	INCQ R9
	JMP rowloop

done:
	RET
