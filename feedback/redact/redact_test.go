package redact

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// pairs reads testdata/redact.txt: "<" lines and the ">" lines they must
// become.
func pairs(t testing.TB) [][2]string {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "redact.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][2]string
	var in string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "< "):
			in = line[2:]
		case strings.HasPrefix(line, "> "):
			if in == "" {
				t.Fatalf("redact.txt:%d: an expected line without its input", n)
			}
			out = append(out, [2]string{in, line[2:]})
			in = ""
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// lines reads a testdata file's lines, without comments and blank lines.
func lines(t testing.TB, name string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(data), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

func TestText(t *testing.T) {
	cases := pairs(t)
	if len(cases) < 60 {
		t.Fatalf("redact.txt holds %d cases, want at least 60", len(cases))
	}
	for _, c := range cases {
		if got := Text(c[0]); got != c[1] {
			t.Errorf("Text(%q)\n got %q\nwant %q", c[0], got, c[1])
		}
	}
}

func TestKeep(t *testing.T) {
	for _, s := range lines(t, "keep.txt") {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestJoined redacts every case of the table as one long text, a line
// each: no rule may reach across a line break, and a text of several
// thousand characters comes out as its lines do one by one.
func TestJoined(t *testing.T) {
	var in, want []string
	for _, c := range pairs(t) {
		in, want = append(in, c[0]), append(want, c[1])
	}
	for _, s := range lines(t, "keep.txt") {
		in, want = append(in, s), append(want, s)
	}
	text := strings.Join(in, "\n")
	if len(text) < 5000 {
		t.Fatalf("the joined text has %d bytes, want at least 5000", len(text))
	}
	got := strings.Split(Text(text), "\n")
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i+1, got[i], want[i])
		}
	}
}

// TestIdempotent: redacting a redacted text changes nothing.
func TestIdempotent(t *testing.T) {
	var texts []string
	for _, c := range pairs(t) {
		texts = append(texts, c[0])
	}
	texts = append(texts, lines(t, "keep.txt")...)
	texts = append(texts, "[họ tên] [số nhà] Lê Lợi", "số [số nhà] ngõ 5", "Tên: [họ tên], [số điện thoại]",
		"[số CCCD/CMND] [số tài khoản] [email] [đã ẩn]", "ông [họ tên] Văn Bình")
	known := []string{"Nguyễn Văn Bình", "0912345678", "binh92@gmail.com"}
	for _, s := range texts {
		once := Text(s)
		if twice := Text(once); twice != once {
			t.Errorf("Text is not idempotent on %q:\n once %q\ntwice %q", s, once, twice)
		}
		once = Text(s, known...)
		if twice := Text(once, known...); twice != once {
			t.Errorf("Text with known strings is not idempotent on %q:\n once %q\ntwice %q", s, once, twice)
		}
	}
}

type want struct {
	kind Kind
	text string
}

// check asserts that Find(s) returns exactly the spans listed.
func check(t *testing.T, s string, wants ...want) {
	t.Helper()
	got := Find(s)
	ok := len(got) == len(wants)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].Kind == wants[i].kind && s[got[i].Start:got[i].End] == wants[i].text
	}
	if !ok {
		var g []string
		for _, sp := range got {
			g = append(g, sp.Kind.String()+" "+strconvQuote(s[sp.Start:sp.End]))
		}
		var w []string
		for _, x := range wants {
			w = append(w, x.kind.String()+" "+strconvQuote(x.text))
		}
		t.Errorf("Find(%q)\n got %v\nwant %v", s, g, w)
	}
}

func strconvQuote(s string) string { return `"` + s + `"` }

func TestPhones(t *testing.T) {
	for _, p := range []string{
		"0912345678", "0912 345 678", "0912.345.678", "091-234-5678", "0912-345-678", "091 234 5678",
		"+84 912 345 678", "+84912345678", "84912345678", "+84 (0) 912 345 678", "+84-912-345-678",
		"(024) 3825 1234", "024 3825 1234", "02438251234", "0243.825.1234", "(0236) 3822 123",
		"+84 24 3825 1234", "0162 345 6789", "098.765.4321", "09 12 34 56 78", "0335 123 456",
	} {
		check(t, "Gọi cho tôi: "+p+" nhé", want{Phone, p})
		check(t, p, want{Phone, p})
	}
	// Public lines are kept, and short numbers are not phones.
	for _, s := range []string{
		"Đường dây nóng 1900 1234", "tổng đài 1800 1096", "gọi 1900 123 456", "gọi 113, 114, 115",
		"mã số 12345", "ngày 09.12.2024", "năm 2024 có 0 trường hợp",
	} {
		check(t, s)
	}
}

func TestIDNumbers(t *testing.T) {
	for _, c := range []struct{ s, id string }{
		{"CCCD 001094012345", "001094012345"},
		{"căn cước công dân số 001 094 012 345", "001 094 012 345"},
		{"số định danh: 0010.9401.2345", "0010.9401.2345"},
		{"CMND 123456789 cấp ngày 12/3/2010", "123456789"},
		{"CMT: 123 456 789", "123 456 789"},
		{"chứng minh nhân dân số 012345678", "012345678"},
		{"can cuoc 079088012345", "079088012345"},
		{"cmnd so 125456789", "125456789"},
		{"số CCCD là 001094012345.", "001094012345"},
		{"tôi có CCCD 038 090 012 345 và hộ khẩu ở đây", "038 090 012 345"},
		{"hộ chiếu B1234567", "B1234567"},
		{"mã số thuế cá nhân 8012345678", "8012345678"},
		{"số 001094012345 là của tôi", "001094012345"}, // twelve digits need no word before them
		{"giấy tờ 123456789", "123456789"},             // nor do nine written together
	} {
		check(t, c.s, want{IDNumber, c.id})
	}
	// Nine digits grouped like an amount need the word before them.
	check(t, "tổng cộng 123 456 789")
}

func TestBankAccounts(t *testing.T) {
	for _, c := range []struct{ s, acct string }{
		{"STK 0011004123456", "0011004123456"},
		{"số tài khoản: 1903 4567 8901 23", "1903 4567 8901 23"},
		{"Vietcombank 0011004123456", "0011004123456"},
		{"BIDV: 21510001234567", "21510001234567"},
		{"tài khoản 19033344455566 tại Techcombank", "19033344455566"},
		{"stk 0071000123456 vcb", "0071000123456"},
		{"chuyển vào 0011004123456 (ngân hàng Agribank)", "0011004123456"},
		{"TK: 123456 Agribank", "123456"},
		{"so tai khoan 102 876 543 210", "102 876 543 210"},
		{"Số TK MB Bank: 0123456789999", "0123456789999"},
	} {
		check(t, c.s, want{BankAccount, c.acct})
	}
	// Money moved into an account is not the account.
	check(t, "đã chuyển khoản 2.500.000 đồng vào tài khoản")
	check(t, "số dư tài khoản còn 150000000 đồng")
}

func TestEmails(t *testing.T) {
	for _, c := range []struct{ s, mail string }{
		{"email: lan.nguyen@gmail.com.", "lan.nguyen@gmail.com"},
		{"NguyenVanBinh1980@Gmail.com", "NguyenVanBinh1980@Gmail.com"},
		{"mail binh+pakn@mattranso.org.vn ạ", "binh+pakn@mattranso.org.vn"},
		{"binh92 at gmail dot com", "binh92 at gmail dot com"},
		{"binh92 [at] gmail [dot] com", "binh92 [at] gmail [dot] com"},
		{"binh92(at)gmail.com", "binh92(at)gmail.com"},
		{"binh92 a còng gmail chấm com", "binh92 a còng gmail chấm com"},
		{"binh92@gmail chấm com", "binh92@gmail chấm com"},
		{"thanhtra@mt.gov.vn", "thanhtra@mt.gov.vn"},
	} {
		check(t, c.s, want{Email, c.mail})
	}
	for _, s := range []string{"gặp nhau at 5pm", "theo dõi @mattranso", "giá 5 @ 10 nghìn", "a@b"} {
		check(t, s)
	}
}

func TestHouseNumbers(t *testing.T) {
	for _, c := range []struct{ s, house string }{
		{"số 12/3 đường Lê Lợi", "số 12/3"},
		{"nhà 45A ngõ 12", "nhà 45A"},
		{"số nhà 34, ấp 3", "số nhà 34"},
		{"nhà số 17 ngách 3", "nhà số 17"},
		{"SN 12 phố Huế", "SN 12"},
		{"ở 12 Lê Lợi", "12"},
		{"địa chỉ: 15/7 Nguyễn Thị Thập", "15/7"},
		{"tại 25 ngõ 68 Tam Trinh", "25"},
		{"123/45/6 Nguyễn Văn Cừ", "123/45/6"},
		{"so nha 12 ngo 5", "so nha 12"},
		{"so 12 duong Tran Phu", "so 12"},
		{"căn hộ 1203 tòa B", "căn hộ 1203"},
		{"số 5 kiệt 28", "số 5"},
		{"số 12-14 Hàng Bạc", "số 12-14"},
		{"ở nhà 12, phường Tân Mai", "nhà 12"},
		{"nhà 5 Lê Lợi", "nhà 5"},
	} {
		check(t, c.s, want{HouseNumber, c.house})
	}
	for _, s := range []string{
		"ngõ 12 phố Huế", "Điều 12 khoản 3", "thửa đất số 123 tờ bản đồ số 45", "Quyết định số 12/QĐ-UBND",
		"nhà 3 tầng", "có 2 đường ống", "Quận 1", "số 5 người", "SN 1965", "Nghị định số 91/2025/NĐ-CP",
		"tổ 5 khu phố 3", "lớp 12A1", "ngày 12/3", "Chỉ thị số 05-CT/TW",
	} {
		check(t, s)
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ s, name string }{
		{"ông Nguyễn Văn Bình", "Nguyễn Văn Bình"},
		{"ong Nguyen Van Binh", "Nguyen Van Binh"},
		{"Nguyễn Văn Bình phản ánh", "Nguyễn Văn Bình"},
		{"NGUYỄN VĂN BÌNH", "NGUYỄN VĂN BÌNH"},
		{"chị Lan", "Lan"},
		{"tôi tên là bình", "bình"},
		{"họ và tên: trần thị thu hà", "trần thị thu hà"},
		{"ông nguyễn văn bình đề nghị", "nguyễn văn bình"},
		{"Bà Năm bán hàng", "Năm"},
		{"đồng chí Phạm Minh Tuấn", "Phạm Minh Tuấn"},
		{"đ/c Hoàng Thị Loan", "Hoàng Thị Loan"},
		{"anh Nguyễn Tuấn Anh", "Nguyễn Tuấn Anh"},
		{"Trần Phú Cường", "Trần Phú Cường"}, // a street's name and one more syllable is a man's
		{"bà Triệu Thị Mến", "Triệu Thị Mến"},
		{"xã Lò Văn Páo", "Lò Văn Páo"}, // a commune is seldom named "X Văn Y"
		{"Trưởng thôn Lường Văn Khiêm", "Lường Văn Khiêm"},
		{"Mr. Smith", "Smith"},
	} {
		check(t, c.s, want{Name, c.name})
	}
	for _, s := range []string{
		"đường Nguyễn Huệ", "Trường THCS Lê Quý Đôn", "TP. Hồ Chí Minh", "Bệnh viện Bạch Mai",
		"chợ Bà Chiểu", "phố Bà Triệu", "Bác Hồ", "Đoàn Thanh niên", "Hồ sơ", "xử lý vi phạm",
		"XỬ LÝ VI PHẠM", "Ông bà con cháu", "ông ấy", "bà con", "anh em", "Lê Lợi", "12 Lê Lợi",
		"Hà Nội", "Thái Bình", "Đồng Nai", "Cao Bằng", "Lâm Đồng", "Khu Đô Thị Mới", "Nhà Văn Hóa",
		"ông Chủ tịch UBND xã", "Nguyễn", "đỗ xe", "vi phạm văn hóa", "do văn phòng", "Ban Quản lý",
		"duong Nguyen Hue", "truong Le Quy Don",
	} {
		check(t, s)
	}
}

func TestKnown(t *testing.T) {
	known := []string{"Nguyễn Văn Bình", "0912345678", "Binh92@Gmail.com"}
	for _, c := range []struct{ in, out string }{
		// the name in any case and with or without diacritics
		{"chu nha la nguyen van binh", "chu nha la [họ tên]"},
		{"NGUYEN VAN BINH ky ten", "[họ tên] ky ten"},
		{"tài khoản Zalo nguyenvanbinh", "tài khoản Zalo [họ tên]"},
		// the phone however it is grouped, even as Find would not see it
		{"số 912.345.678", "số [số điện thoại]"},
		{"gọi +84-912-345-678", "gọi [số điện thoại]"},
		// the e-mail address in any case, and its local part alone
		{"mail BINH92@gmail.com", "mail [email]"},
		{"nick binh92 trên Zalo", "nick [email] trên Zalo"},
	} {
		if got := Text(c.in, known...); got != c.out {
			t.Errorf("Text(%q, known...) = %q, want %q", c.in, got, c.out)
		}
	}
	// A single given name is redacted where it is written as a name only.
	if got, want := Text("Bình đi chợ, bình thường", "Bình"), "[họ tên] đi chợ, bình thường"; got != want {
		t.Errorf("Text with a one-syllable name = %q, want %q", got, want)
	}
	// Empty and blank known strings change nothing.
	if got := Text("Hà Nội", "", "  "); got != "Hà Nội" {
		t.Errorf("Text with empty known strings = %q", got)
	}
}

func TestKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range kinds {
		p, n := k.Placeholder(), k.String()
		if seen[p] || seen[n] || !strings.HasPrefix(p, "[") || n == "unknown" {
			t.Errorf("kind %d: placeholder %q, name %q", k, p, n)
		}
		seen[p], seen[n] = true, true
	}
	if Kind(0).String() != "unknown" || Kind(0).Placeholder() != "[đã ẩn]" {
		t.Error("the zero Kind has a name")
	}
}

func TestInvalidUTF8(t *testing.T) {
	for _, s := range []string{"ông Ng\xffuyễn Văn Bình", "\xff\xfe0912345678", "Lê Văn \xc3", "\xe1\xbb"} {
		got := Text(s)
		if !utf8.ValidString(got) {
			t.Errorf("Text(%q) = %q, not valid UTF-8", s, got)
		}
		for _, sp := range Find(s) {
			if sp.Start < 0 || sp.End > len(s) || sp.Start >= sp.End {
				t.Errorf("Find(%q): span %v out of range", s, sp)
			}
		}
	}
	if got, want := Text("gọi 0912345678\xff"), "gọi [số điện thoại]\uFFFD"; got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
}

// TestDecomposed: text typed in decomposed form (NFD) is read as the same words.
func TestDecomposed(t *testing.T) {
	s := norm.NFD.String("ông Nguyễn Văn Bình ở số 12 đường Lê Lợi")
	want := norm.NFD.String("ông ") + "[họ tên]" + norm.NFD.String(" ở ") + "[số nhà]" + norm.NFD.String(" đường Lê Lợi")
	if got := Text(s); got != want {
		t.Errorf("Text(NFD) = %q, want %q", got, want)
	}
}
