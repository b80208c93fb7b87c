package redact

import "strings"

// wordSet matches a word as it was written: a word typed with diacritics
// must carry the listed ones ("Hồ" is a surname, "họ" is not), a word
// typed without any matches on its bare letters ("Ho" may be either).
type wordSet struct{ keys, folds map[string]bool }

func words(list string) wordSet {
	s := wordSet{keys: map[string]bool{}, folds: map[string]bool{}}
	for _, w := range strings.Fields(list) {
		k, f := wordForms(w)
		s.keys[k] = true
		s.folds[f] = true
	}
	return s
}

// exact is a wordSet whose words match only as listed: a word typed
// without diacritics matches only the listed words that have none. The
// stop lists use it, since "sau" (after) typed bare would also be the
// given name Sáu, and "dang" the surname Đặng.
func exact(list string) wordSet {
	s := wordSet{keys: map[string]bool{}, folds: map[string]bool{}}
	for _, w := range strings.Fields(list) {
		k, f := wordForms(w)
		s.keys[k] = true
		if k == f {
			s.folds[f] = true
		}
	}
	return s
}

func (s wordSet) has(t *tok) bool {
	if t.kind != kWord {
		return false
	}
	if t.plain {
		return s.folds[t.fold]
	}
	return s.keys[t.key]
}

// phraseSet matches sequences of words (and characters such as the "/" of
// "đ/c") with the same rule as wordSet, spacing as written in the list.
type phraseSet struct {
	m     map[string][][]tok
	exact bool
}

func phrases(list ...string) phraseSet { return phraseList(false, list) }

// exactPhrases is to phrases what exact is to words: "chợ" typed bare
// would also be "cho" (for), "đình" "dinh", "đền" "den".
func exactPhrases(list ...string) phraseSet { return phraseList(true, list) }

func phraseList(exact bool, list []string) phraseSet {
	s := phraseSet{m: map[string][][]tok{}, exact: exact}
	for _, p := range list {
		toks := scan(p)
		if len(toks) == 0 {
			continue
		}
		first := toks[0].fold
		if toks[0].kind != kWord {
			first = p[toks[0].start:toks[0].end]
		}
		s.m[first] = append(s.m[first], toks)
	}
	return s
}

// match returns the end (exclusive token index) of the longest phrase
// starting at toks[i], or i when none does.
func (s phraseSet) match(toks []tok, i int) int {
	t := &toks[i]
	first := t.fold
	if t.kind != kWord {
		if t.kind != kPunct {
			return i
		}
		first = string(t.r)
	}
	best := i
	for _, p := range s.m[first] {
		if i+len(p) <= best || i+len(p) > len(toks) {
			continue
		}
		ok := true
		for k := range p {
			if !same(&toks[i+k], &p[k], s.exact) || (k > 0 && (toks[i+k].sp != p[k].sp || toks[i+k].nl)) {
				ok = false
				break
			}
		}
		if ok {
			best = i + len(p)
		}
	}
	return best
}

func same(t, p *tok, exact bool) bool {
	if t.kind != p.kind {
		return false
	}
	switch t.kind {
	case kWord:
		if t.plain {
			return t.fold == p.fold && (p.plain || !exact)
		}
		return t.key == p.key
	case kNum:
		return t.key == p.key
	case kPunct:
		return t.r == p.r
	}
	return false
}

// Surnames that start a run of capitalised syllables. Some are also
// ordinary words ("Hồ" lake, "Mai" tomorrow, "Cao" high); a run needs two
// capitalised syllables, and the public names below shield the places and
// figures they begin.
var surnames = words(`nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô dương
	lý lí đinh đào đoàn trương lâm phùng mai tô trịnh hà lưu cao quách lương thái tạ châu
	kiều khúc thân tăng triệu từ chu nông lò hứa diệp giang vương tôn mạc lại nghiêm ninh
	bế tống khổng lục phí doãn lã đàm thạch mã bạch hầu lữ cù đậu lạc chế kha tiêu ôn khuất
	lường quàng cầm điêu tòng giàng sùng thào lầu mùa vừ`)

// strongSurnames are the surnames that are seldom ordinary words, trusted
// in text typed all in capitals or all in lower case, where capitals say
// nothing about names.
var strongSurnames = words(`nguyễn trần lê phạm hoàng huỳnh phan vũ võ đặng bùi đỗ hồ ngô
	dương lý lí đinh trương trịnh quách`)

// middleNames let a name typed in lower case be told from ordinary words:
// "ông nguyễn văn bình" is a name, "bà đỗ xe" is not.
var middleNames = words(`văn thị`)

// honorifics are the words of address that precede a name.
var honorifics = exact(`ông bà anh chị cô chú bác em cháu cụ thầy dì cậu mợ thím dượng bé
	vợ chồng mẹ bố cha con bạn ngài
	ong ba anh chi co chu bac em chau cu be me cha con`)

var honorificPhrases = phrases("đồng chí", "đ/c", "Mr", "Mrs", "Ms", "Mr.", "Mrs.", "Ms.")

// strongTriggers introduce a name even when it is typed in lower case:
// "tôi tên là bình". weakTriggers only a capitalised one: "tôi là
// người dân" is not a name.
var strongTriggers = phrases("tôi tên là", "tên tôi là", "tôi tên", "tên là", "họ tên", "họ và tên",
	"mình tên là", "mình tên", "em tên là", "em tên", "cháu tên là", "con tên là", "có tên là",
	"tên người phản ánh", "tên người gửi", "người phản ánh", "người gửi", "người kiến nghị", "chủ hộ",
	"tên chủ hộ", "họ tên chủ hộ", "chủ tài khoản", "chủ tk", "tên tài khoản", "tên tk")

var weakTriggers = phrases("tôi là", "mình là", "em là", "tên")

// titles are what may stand between a word of address and the name:
// "ông Chủ tịch UBND xã Trần Văn B".
var titles = phrases("chủ tịch", "phó chủ tịch", "bí thư", "phó bí thư", "giám đốc", "phó giám đốc",
	"trưởng thôn", "trưởng ấp", "trưởng bản", "trưởng khu phố", "trưởng ban", "phó ban", "trưởng phòng",
	"phó phòng", "tổ trưởng", "tổ phó", "công an", "công an viên", "cán bộ", "công chức", "thanh tra",
	"luật sư", "bác sĩ", "bác sỹ", "y tá", "kế toán", "đại biểu", "giáo viên", "hiệu trưởng",
	"chánh văn phòng", "đội trưởng", "thủ trưởng", "khu trưởng", "địa chính", "kiểm sát viên",
	"thẩm phán", "chánh án", "chủ nhiệm", "trưởng", "phó", "chủ nhà", "chủ đầu tư", "chủ quán",
	"kỹ sư", "kĩ sư", "thượng tá", "trung tá", "thiếu tá", "đại tá", "đại úy", "đại uý", "thượng úy",
	"thượng uý", "trung úy", "trung uý", "thiếu úy", "thiếu uý", "UBND", "HĐND", "MTTQ",
	"nguyên chủ tịch", "nguyên bí thư", "nguyên giám đốc", "nguyên trưởng thôn", "nguyên cán bộ",
	"cựu chiến binh", "thương binh", "liệt sĩ", "liệt sỹ", "nghệ sĩ", "nhà báo", "phóng viên",
	"xã đội trưởng", "trưởng công an", "phó trưởng công an")

// places are the words after which capitalised syllables name a place or
// an institution, not a person: streets and schools bear people's names.
var places = exactPhrases("đường", "phố", "phường", "xã", "quận", "huyện", "tỉnh", "thành phố", "tp", "TP.",
	"thị xã", "tx", "thị trấn", "tt", "ấp", "thôn", "bản", "làng", "xóm", "khóm", "khu phố", "kp",
	"tổ dân phố", "tdp", "khu dân cư", "kdc", "khu", "khu vực", "khu đô thị", "kđt", "chung cư",
	"tòa nhà", "toà nhà", "trường", "thcs", "thpt", "tiểu học", "mầm non", "bệnh viện", "bv",
	"trạm y tế", "cầu", "chợ", "công viên", "quảng trường", "đại lộ", "hẻm", "ngõ", "ngách", "kiệt",
	"sông", "hồ", "núi", "đảo", "vịnh", "bến", "bến xe", "cảng", "ga", "sân bay", "sân vận động",
	"nhà văn hóa", "nhà văn hoá", "đình", "đền", "chùa", "nhà thờ", "lăng", "tượng đài", "nghĩa trang",
	"di tích", "học viện", "đại học", "cao đẳng", "trung tâm", "quốc lộ", "tỉnh lộ", "đê", "kênh",
	"rạch", "đặc khu", "nhà máy", "công ty", "cty", "xí nghiệp", "hợp tác xã", "htx", "mang tên",
	"tên đường", "tên trường", "tên phố", "đặt tên", "tên gọi", "giải thưởng", "quỹ", "ngã tư",
	"ngã ba", "ngã sáu", "vòng xoay", "bùng binh", "tuyến đường", "tuyến phố", "tuyến", "viện",
	"khu công nghiệp", "kcn", "thủ đô", "lữ đoàn", "sư đoàn", "trung đoàn", "tiểu đoàn", "binh đoàn",
	"P.", "Q.", "Đ.", "H.", "X.", "TX.", "TT.", "trại", "làng nghề", "giáo xứ", "giáo họ",
	"chi bộ", "chi hội", "tổ", "ngân hàng",
	// typed without diacritics, where the bare word is not also a common other one
	"duong", "pho", "phuong", "xa", "quan", "huyen", "tinh", "thanh pho", "thi xa", "thi tran", "ap",
	"thon", "xom", "khom", "khu pho", "to dan pho", "khu do thi", "chung cu", "truong", "tieu hoc",
	"mam non", "benh vien", "tram y te", "cong vien", "dai lo", "hem", "ngo", "ngach", "kiet",
	"quoc lo", "tinh lo", "nha tho", "nha van hoa", "hoc vien", "dai hoc", "cao dang", "trung tam",
	"cong ty", "ngan hang", "mang ten", "ten duong", "dat ten", "nga tu", "nga ba", "tuyen duong",
	"tuyen pho", "khu cong nghiep", "cho dau moi", "ben xe", "san bay", "san van dong")

// adminPlaces are the administrative units among places.
var adminPlaces = exactPhrases("xã", "phường", "thôn", "ấp", "bản", "làng", "xóm", "khóm", "tổ", "khu phố",
	"tổ dân phố", "thị trấn", "thị xã", "quận", "huyện", "tỉnh", "đặc khu", "xa", "phuong", "thon", "ap",
	"xom", "khu pho", "thi tran", "thi xa", "huyen", "tinh")

// middleBefore are ordinary words whose second syllable is "văn" or "thị".
var middleBefore = phrases("đô thị", "thành thị", "siêu thị", "chỉ thị", "giám thị", "yết thị", "cáo thị",
	"công văn", "nhân văn", "thiên văn", "thủy văn", "thuỷ văn", "điển văn", "vãn văn", "tản văn")

// placeModifiers may stand between a place word and the name it carries:
// "Trường THCS Lê Quý Đôn", "Bệnh viện Đa khoa Nguyễn Đình Chiểu".
var placeModifiers = words(`thcs thpt th mn pt ptth ptcs tiểu học mầm non trung cơ sở phổ thông
	đại cao đẳng chuyên đa khoa dân lập tư thục quốc tế nhân quân y phụ sản nhi mắt và liên cấp
	nội trú dân tộc tỉnh thành phố huyện quận số tuyến`)

// public are names that begin with a surname or a word of address but
// belong to everyone: provinces and places, historical figures whom
// streets and schools are named after, institutions, and ordinary words
// that a surname begins.
var public = phrases(
	// provinces and cities (also the names before the 2025 mergers) and well-known places
	"An Giang", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre", "Bình Định", "Bình Dương",
	"Bình Phước", "Bình Thuận", "Cà Mau", "Cần Thơ", "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên",
	"Gia Lai", "Hải Dương", "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hoà Bình", "Hưng Yên", "Khánh Hòa",
	"Khánh Hoà", "Kiên Giang", "Kon Tum", "Lai Châu", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định",
	"Nghệ An", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh",
	"Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thanh Hóa", "Thanh Hoá", "Thừa Thiên Huế",
	"Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái", "Vũng Tàu",
	"Việt Nam", "Sài Gòn", "Khuất Duy Tiến", "Bắc Bộ", "Trung Bộ", "Nam Bộ", "Tây Nguyên",
	"Hà Nội", "Hà Giang", "Hà Tĩnh", "Hà Nam", "Hà Đông", "Hà Tiên", "Hà Lan", "Hồ Chí Minh",
	"Hồ Gươm", "Hồ Tây", "Hồ Hoàn Kiếm", "Hồ Núi Cốc", "Hồ Dầu Tiếng", "Hồ Trị An", "Cao Bằng", "Cao Lãnh",
	"Cao Nguyên", "Lâm Đồng", "Lâm Hà", "Thái Bình", "Thái Nguyên", "Thái Lan", "Thái Hòa", "Thái Hoà",
	"Châu Âu", "Châu Á", "Châu Phi", "Châu Mỹ", "Châu Úc", "Châu Đốc", "Châu Thành", "Châu Đức",
	"Châu Phú", "Mai Châu", "Mai Dịch", "Mai Động", "Mai Sơn", "Lương Sơn", "Lương Tài", "Bạch Mai",
	"Bạch Đằng", "Bạch Long Vĩ", "Từ Liêm", "Từ Sơn", "Ninh Bình", "Ninh Thuận", "Ninh Kiều", "Ninh Hòa",
	"Ninh Hoà", "Ninh Giang", "Phan Thiết", "Phan Rang", "Phan Rí", "Hoàng Mai", "Hoàng Sa",
	"Hoàng Hóa", "Hoàng Hoá", "Hoàng Su Phì", "Lý Sơn", "Đồng Nai", "Đồng Tháp", "Lê Chân",
	"Ngô Quyền", "Hồng Bàng", "Tô Lịch", "Kiều Mai", "Tam Đảo", "Giang Biên", "Thạch Thất",
	"Thạch Hà", "Thạch Thành", "Quan Hoa", "Ba Đình", "Hai Bà Trưng", "Bà Rịa", "Bà Chiểu",
	"Bà Triệu", "Bà Điểm", "Bà Quẹo", "Bà Đen", "Bà Nà", "Bà Hom", "Bà Huyện Thanh Quan",
	"Ông Lãnh", "Ông Ích Khiêm", "Cô Tô", "Cô Giang", "Cô Bắc", "Chu Lai", "Chu Văn An",
	"Tây Hồ", "Hồ Hữu Nhân", "Cao Lỗ", "Cao Thắng", "Cao Bá Quát", "Kha Vạn Cân",
	// historical figures that streets, schools and wards are named after
	"Bác Hồ", "Cụ Hồ", "Hồ Xuân Hương", "Hồ Tùng Mậu", "Hồ Học Lãm", "Hồ Văn Huê",
	"Nguyễn Huệ", "Nguyễn Trãi", "Nguyễn Du", "Nguyễn Thị Minh Khai", "Nguyễn Văn Cừ",
	"Nguyễn Chí Thanh", "Nguyễn Văn Linh", "Nguyễn Đình Chiểu", "Nguyễn Bỉnh Khiêm",
	"Nguyễn Công Trứ", "Nguyễn Thái Học", "Nguyễn Tất Thành", "Nguyễn Văn Trỗi", "Nguyễn Thị Định",
	"Nguyễn Hữu Thọ", "Nguyễn Khuyến", "Nguyễn Trường Tộ", "Nguyễn Thiện Thuật", "Nguyễn Tri Phương",
	"Nguyễn Văn Giáp", "Nguyễn Lương Bằng", "Nguyễn Phong Sắc", "Nguyễn Xí", "Nguyễn Sinh Sắc",
	"Nguyễn Đình Chiểu", "Nguyễn Hoàng", "Nguyễn Ái Quốc", "Nguyễn An Ninh", "Nguyễn Văn Cừ",
	"Trần Hưng Đạo", "Trần Phú", "Trần Quốc Toản", "Trần Quang Khải", "Trần Nhân Tông",
	"Trần Khánh Dư", "Trần Bình Trọng", "Trần Nhật Duật", "Trần Quốc Tuấn", "Trần Đại Nghĩa",
	"Trần Cao Vân", "Trần Duy Hưng", "Trần Xuân Soạn", "Trần Thái Tông", "Trần Quý Cáp",
	"Lê Lợi", "Lê Duẩn", "Lê Thánh Tông", "Lê Thánh Tôn", "Lê Hồng Phong", "Lê Quý Đôn",
	"Lê Đại Hành", "Lê Văn Sỹ", "Lê Văn Sĩ", "Lê Văn Tám", "Lê Văn Lương", "Lê Văn Việt",
	"Lê Văn Hưu", "Lê Ngọc Hân", "Lê Lai", "Lê Hoàn", "Lê Thánh Tông", "Lê Văn Thiêm", "Lê Đức Thọ",
	"Lê Trọng Tấn", "Lê Quang Đạo", "Lê Thái Tổ", "Lê Thái Tông", "Lê Anh Xuân", "Lê Hữu Trác",
	"Lý Thường Kiệt", "Lý Thái Tổ", "Lý Tự Trọng", "Lý Nam Đế", "Lý Công Uẩn", "Lý Chính Thắng",
	"Lý Thái Tông", "Lý Nhân Tông", "Lý Bôn", "Lý Chiêu Hoàng",
	"Võ Nguyên Giáp", "Võ Văn Kiệt", "Võ Thị Sáu", "Võ Văn Tần", "Võ Chí Công", "Võ Thị Sáu",
	"Phạm Văn Đồng", "Phạm Ngũ Lão", "Phạm Hùng", "Phạm Hồng Thái", "Phạm Văn Bạch", "Phạm Thế Hiển",
	"Phan Chu Trinh", "Phan Châu Trinh", "Phan Bội Châu", "Phan Đình Phùng", "Phan Đăng Lưu",
	"Phan Xích Long", "Phan Huy Chú", "Phan Đình Giót", "Phan Kế Bính", "Phan Văn Trị",
	"Hoàng Diệu", "Hoàng Hoa Thám", "Hoàng Văn Thụ", "Hoàng Quốc Việt", "Hoàng Văn Thái",
	"Hoàng Sâm", "Hoàng Minh Giám", "Hoàng Cầu", "Huỳnh Thúc Kháng", "Huỳnh Tấn Phát",
	"Huỳnh Văn Bánh", "Đinh Tiên Hoàng", "Đinh Bộ Lĩnh", "Đinh Công Tráng", "Đinh Lễ",
	"Ngô Gia Tự", "Ngô Thì Nhậm", "Ngô Sĩ Liên", "Ngô Đức Kế", "Ngô Tất Tố",
	"Đặng Thái Thân", "Đặng Dung", "Đặng Văn Ngữ", "Đặng Tiến Đông", "Đặng Thùy Trâm",
	"Bùi Thị Xuân", "Bùi Viện", "Bùi Xương Trạch", "Đỗ Quang", "Đỗ Nhuận",
	"Tôn Đức Thắng", "Tôn Thất Thuyết", "Tôn Thất Tùng", "Tô Hiến Thành", "Tô Vĩnh Diện",
	"Tô Hiệu", "Trương Định", "Trương Công Định", "Trương Hán Siêu", "Trịnh Hoài Đức",
	"Đào Duy Từ", "Đào Duy Anh", "Đào Tấn", "Đoàn Thị Điểm", "Đoàn Trần Nghiệp", "Mạc Đĩnh Chi",
	"Mạc Thị Bưởi", "Mạc Cửu", "Chu Văn An", "Hàm Nghi", "Quang Trung", "Lạc Long Quân",
	"Âu Cơ", "Bà Triệu", "Triệu Việt Vương", "Triệu Quang Phục", "Ngô Quyền", "Dương Đình Nghệ",
	"Dương Quảng Hàm", "Dương Văn Dương", "Lương Văn Can", "Lương Thế Vinh", "Lương Định Của",
	"Lương Ngọc Quyến", "Cù Chính Lan", "Thái Phiên", "Thái Hà", "Nghiêm Xuân Yêm",
	"Ninh Tốn", "Giang Văn Minh", "Kim Mã", "Khúc Thừa Dụ", "Khúc Hạo", "Lò Văn Giá",
	"Hoàng Đạo Thúy", "Hoàng Đạo Thuý", "Hoàng Tích Trí", "Đinh Núp", "Phùng Hưng", "Phùng Khắc Khoan",
	"Hai Bà Trưng", "Vũ Trọng Phụng", "Vũ Ngọc Phan", "Vũ Phạm Hàm", "Vũ Tông Phan",
	"Đoàn Khuê", "Đồng Khởi", "Lạc Trung",
	// institutions and ordinary words a surname begins
	"Đoàn Thanh niên", "Đoàn TNCS", "Đoàn Thanh Niên", "Đoàn công tác", "Đoàn Công tác",
	"Đoàn kiểm tra", "Đoàn Kiểm tra", "Đoàn thanh tra", "Đoàn Thanh tra", "Đoàn đại biểu",
	"Đoàn Đại biểu", "Đoàn giám sát", "Đoàn Giám sát", "Đoàn Luật sư", "Đoàn viên", "Đoàn kết",
	"Hồ sơ", "Hồ Sơ", "Lý do", "Lý Do", "Lý lịch", "Lý Lịch", "Phạm vi", "Phạm Vi", "Phạm tội",
	"Cao tốc", "Cao Tốc", "Cao su", "Cao Su", "Cao điểm", "Cao Điểm", "Cao đẳng", "Cao Đẳng",
	"Lâm nghiệp", "Lâm Nghiệp", "Lâm sản", "Mai táng", "Thái độ", "Thái Độ", "Từ chối", "Từ Chối",
	"Từ ngày", "Từ Ngày", "Lương hưu", "Lương Hưu", "Tăng cường", "Tăng Cường", "Triệu tập",
	"Nông nghiệp", "Nông Nghiệp", "Nông thôn", "Nông Thôn", "Nông dân", "Nông Dân", "Hội Nông dân",
	"Lại Chiếm", "Phí Dịch vụ", "Mã số", "Mã Số", "Mã hồ sơ", "Mã Hồ Sơ", "Lưu ý", "Lưu Ý",
	"Hà Nội Mới", "Tết Dương lịch", "Dương lịch", "Dương Lịch", "Âm Dương",
)

// lexicalBefore are words that make an ordinary word of a following
// surname-like syllable: "vi phạm", "xử lý", "hồ sơ" is in public.
var lexicalBefore = exact(`vi xâm xử quản hợp vô pháp đại tâm địa vật trợ thụ chân nguyên hành
	đồng ao bờ mơ thi bãi ngày sáng chiều tối nâng độ kiểm tiền biểu tuyên âm gia bản chi lệ học
	an kể trạng sinh huy`)

// middleCompounds are the ordinary words a lower-case "văn" or "thị"
// begins, which end a name typed in lower case before it began.
var middleCompounds = phrases("văn bản", "văn phòng", "văn hóa", "văn hoá", "văn minh", "văn kiện",
	"văn nghệ", "văn thư", "văn học", "văn chương", "văn tự", "văn hiến", "văn miếu", "văn xuôi",
	"văn mẫu", "văn bằng", "thị trấn", "thị xã", "thị trường", "thị thực", "thị sát", "thị uy",
	"thị lực", "thị giác", "thị phần", "thị hiếu", "thị chính", "thị dân", "thị tứ", "thị thành")

// hardStops are capitalised words that never belong to a person's name:
// administrative and institutional words, the law's structure, calendar
// words, and the acronyms citizens write.
var hardStops = exact(`ubnd hđnd mttq ub ủy uỷ sở đảng cục tòa toà viện bệnh trạm chợ cty
	xã phường quận huyện tỉnh tp đường phố thôn ấp xóm khóm khu ngõ hẻm ngách số điều
	khoản tháng ngày thcs thpt cccd cmnd cmt sđt đt email zalo facebook fb stk bv kp tdp ql qđ
	nđ cp tw bhxh bhyt vnđ vnd usd tỷ tỉ nghìn ngàn ông bà chị chú bác cháu cụ thầy dì
	cậu mợ thím dượng kính gửi và của với tại ở là có không đã đang sẽ được bị cho về đến
	trong ngoài trên dưới sau trước hôm nay tôi chúng mình họ nó ấy này kia đó đây gì ai nào
	sao thì mà nhưng nên vì nếu khi lúc cũng còn rất đề xin cảm ơn việc vấn người nhà tên
	ubnd hdnd sdt dt thcs thpt qd nd bhxh bhyt vnd stt`)

// softStops end a name typed in lower case or all in capitals, where the
// shape of the letters does not: common words of citizens' requests.
var softStops = exact(`chặn lấn xây đổ đốt nuôi bán mở hát đánh chửi vay nợ lừa trộm cắt phá
	chặt cản gây kinh doanh sử dụng tự ý cố tình thường xuyên nhiều lần báo tố cáo khiếu nại
	nghị phản ánh kiến xin đề cảm ơn kính gửi mong muốn yêu cầu hỏi
	trả lời giải quyết xem xét xử lý vi phạm làm nhà đất xây dựng đường điện nước rác
	thải ô nhiễm tiếng ồn chó mèo xe máy ô tô hàng quán lấn chiếm vỉa hè tiền phí thu chi
	trợ cấp hỗ trợ lương hưu bảo hiểm sổ đỏ giấy tờ hồ sơ thủ tục cấp đổi đăng ký khai sinh
	tử chứng thực ủy uỷ ban cán bộ công chức viên an toàn giao thông trật tự đêm ngày tháng
	năm giờ phút sáng trưa chiều tối hôm nay qua mai mốt tuần lần các những mọi mỗi một
	hai ba bốn năm sáu bảy tám chín mười trăm nghìn triệu tỷ rồi vẫn chưa chẳng không có
	được bị cho nhận gửi đi đến về ra vào lên xuống ở tại trong ngoài trên dưới sau trước
	bên cạnh gần xa đối diện theo như vậy thế nào sao gì ai đâu bao giờ là và với của thì
	mà nhưng nên vì do nếu khi lúc cũng còn rất quá lắm hơn nhất đã đang sẽ vừa mới luôn
	tôi tao mày mình chúng ta họ nó ấy này kia đó đây người dân bà con gia đình hộ khẩu
	sinh sống cư trú thường tạm trú địa chỉ số điện thoại email thôn xóm xã phường quận
	huyện tỉnh thành phố ấp tổ khu phố đội ạ nhé nha à ơi
	o la va co khong duoc bi da se cua voi cho den ve xin de nghi kien hoi sdt dt so nha
	thon xom xa phuong huyen tinh tp ap khu dia chi email cccd cmnd gui muon yeu cau giai
	quyet xem xet nay ay toi nhe sinh song cu tru thuong tam dien thoai zalo`)

// The rest are the vocabulary of the number rules.

var phoneWords = exactPhrases("sđt", "sdt", "số đt", "số dt", "đt", "dt", "đtdđ", "dtdd", "dđ", "dd",
	"điện thoại", "số điện thoại", "di động", "số di động", "zalo", "viber", "liên hệ", "lh",
	"gọi", "gọi cho", "gọi vào", "nhắn tin", "nhắn", "tel", "phone", "mobile", "số máy", "máy bàn",
	"cố định", "hotline", "đường dây nóng", "sms",
	"so dt", "so dien thoai", "dien thoai", "di dong", "so di dong", "lien he", "goi", "goi cho",
	"goi vao", "nhan tin", "so may", "may ban", "duong day nong")

var idWords = exactPhrases("cccd", "cmnd", "cmt", "cmtnd", "căn cước", "căn cước công dân", "thẻ căn cước",
	"chứng minh", "chứng minh nhân dân", "chứng minh thư", "giấy chứng minh", "định danh",
	"số định danh", "mã định danh", "định danh cá nhân", "số định danh cá nhân", "hộ chiếu",
	"passport", "mã số thuế", "mst", "bhxh", "bhyt", "sổ bhxh", "thẻ bhyt", "mã số bhxh",
	"bảo hiểm xã hội", "bảo hiểm y tế", "giấy phép lái xe", "gplx", "bằng lái",
	"can cuoc", "can cuoc cong dan", "the can cuoc", "chung minh", "chung minh nhan dan",
	"chung minh thu", "dinh danh", "so dinh danh", "ma dinh danh", "ho chieu", "ma so thue",
	"so bhxh", "the bhyt", "bang lai")

var bankWords = exactPhrases("stk", "số tk", "tk", "số tài khoản", "tài khoản", "tài khoản số",
	"account", "acc", "chuyển khoản", "ck", "ngân hàng", "nh", "thẻ atm", "atm", "số thẻ",
	"vietcombank", "vcb", "agribank", "bidv", "vietinbank", "techcombank", "tcb", "mb", "mbbank",
	"mb bank", "acb", "sacombank", "vpbank", "tpbank", "hdbank", "shb", "vib", "ocb", "seabank",
	"msb", "eximbank", "lienvietpostbank", "lpbank", "abbank", "pvcombank", "scb", "shinhan",
	"kienlongbank", "baovietbank", "vietabank", "ncb", "pgbank", "bvbank", "saigonbank",
	"cake", "timo", "namabank", "nam a bank", "bac a bank", "bacabank", "oceanbank", "gpbank",
	"vrb", "cbbank", "uob", "hsbc", "standard chartered", "woori", "momo", "zalopay", "viettelpay",
	"viettel money", "vnpay", "ví",
	"so tk", "so tai khoan", "tai khoan", "tai khoan so", "chuyen khoan", "ngan hang", "the atm", "so the")

// units follow a number that is an amount or a measure, never personal.
var units = exact(`đồng đ vnđ vnd triệu tr tỷ tỉ nghìn ngàn k usd đô m m2 m3 km ha kg
	tấn tạ yến lít l cm mm sào mẫu thước công người hộ khẩu lần tầng gian phòng căn cái chiếc
	con suất tuổi năm tháng tuần ngày giờ phút giây trệt lầu mê
	dong d vnd trieu ty nghin ngan usd tan lit nguoi lan tang phong can cai chiec tuoi thang
	tuan ngay gio phut`)

// streetWords follow a house number: "12 ngõ 34", "số 5 đường Lê Lợi".
var streetWords = phrases("đường", "phố", "ngõ", "ngách", "hẻm", "kiệt", "tổ", "khu phố", "kp",
	"ấp", "thôn", "xóm", "khóm", "tổ dân phố", "tdp", "quốc lộ", "ql", "tỉnh lộ", "đại lộ", "lô",
	"block", "khu", "khu tập thể", "ktt", "chung cư", "tòa", "toà", "tầng", "Đ.", "đ.", "P.", "p.")

// addressWords come before an address: "địa chỉ: 12 Lê Lợi".
var addressWords = phrases("địa chỉ", "đ/c", "dc", "ở", "tại", "trú tại", "thường trú", "tạm trú",
	"cư trú", "sống ở", "ở tại", "nhà ở")

var houseTriggers = phrases("số nhà", "nhà số", "sn", "căn hộ", "căn hộ số", "căn số", "nhà")

// documentWords come before a number that is a document's, a parcel's or
// a vehicle's, not a house's: "Quyết định số 12", "thửa đất số 123".
var documentWords = exact(`định nghị thông tư luật điều khoản điểm bản văn công tờ thửa
	hồ sơ mã biên giấy phiếu thị hoạch cáo trình báo quyết đồng sổ quyển lô phòng xe biển
	đơn tài khoản hiệu kiện lần vụ án hạng mục phần chương tiết trang kỳ khóa khoá đợt đồ
	dinh nghi thong tu luat dieu khoan diem ban van cong to thua ho so ma bien giay phieu
	don tai khoan`)

// dateWords come before a number that is a date or a time.
var dateWords = exact(`ngày năm tháng hôm lúc từ đến khoảng ngay nam thang luc`)

// quantityWords come before a number that counts: "có 2 đường ống".
var quantityWords = exact(`có gồm khoảng hơn gần trên dưới tới đến từ với mất được co gom`)

// tlds end an e-mail address written in words: "binh at gmail dot com".
var tlds = words(`com vn net org edu gov info biz io me co`)
