package corpus

import (
	"reflect"
	"strings"
	"testing"
)

// The inputs are written in the portal's flattened shape: table headers
// and cells run together without separators.

func TestParseChannels(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []ProcedureChannel
		problem  string // a part of the problem, "" for none
	}{
		{"three free channels, time without a unit",
			methodsHeader + "Trực tuyến1Miễn phíDịch vụ bưu chính1Miễn phíTrực tiếp1Miễn phí",
			[]ProcedureChannel{{"Trực tuyến", "1", "Miễn phí", ""}, {"Dịch vụ bưu chính", "1", "Miễn phí", ""}, {"Trực tiếp", "1", "Miễn phí", ""}}, ""},
		{"amount and description",
			methodsHeader + "Trực tiếp3 Ngày làm việc8,000 Việt Nam Đồng(Lệ phí cấp bản sao: 8.000 đồng/bản)",
			[]ProcedureChannel{{"Trực tiếp", "3 ngày làm việc", "8.000 đồng", "Lệ phí cấp bản sao: 8.000 đồng/bản"}}, ""},
		{"a channel's name inside a description does not start a row",
			methodsHeader + "Trực tuyến15 NgàyKhông có thông tin- Trực tiếp: nộp tại bộ phận một cửa",
			[]ProcedureChannel{{"Trực tuyến", "15 ngày", "", "- Trực tiếp: nộp tại bộ phận một cửa"}}, ""},
		{"fee in dollars, no time",
			methodsHeader + "Trực tiếp25 USD(một lần)",
			[]ProcedureChannel{{"Trực tiếp", "", "25 USD", "một lần"}}, ""},
		{"time in words",
			methodsHeader + "Trực tuyếnKhông quy địnhMiễn phí",
			[]ProcedureChannel{{"Trực tuyến", "Không quy định", "Miễn phí", ""}}, ""},
		{"no time, no fee",
			methodsHeader + "Trực tiếpKhông có thông tinKhông có thông tin",
			[]ProcedureChannel{{"Trực tiếp", "", "", ""}}, ""},
		{"empty", "Không có thông tin", nil, ""},
		{"no header", "Nộp tại xã", nil, "no table header"},
		{"a row without time or fee",
			methodsHeader + "Trực tiếpnơi nào cũng được",
			[]ProcedureChannel{{"Trực tiếp", "", "", "nơi nào cũng được"}}, "no time or fee"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, problem := ParseChannels(c.in)
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("rows\n got %+v\nwant %+v", got, c.want)
			}
			checkProblem(t, problem, c.problem)
		})
	}
}

func TestParsePapers(t *testing.T) {
	in := "* Giấy tờ phải nộp:" + papersHeader +
		"- Tờ khai theo mẫu;Mau TK01.docx1 bản chính" +
		"- Giấy xác nhận của trường học.1 bản chính1 bản sao" +
		"Trường hợp đã có dữ liệu điện tử thì không nộp.0 bản chính" +
		"* Giấy tờ phải xuất trình:" + papersHeader +
		"- Giấy tờ tùy thân (bản chụp)1 bản chụp" +
		"Hồ sơ gửi kèm (mẫu 02)02-Mau bao cao.doc0 bản chính, 2 bản sao" +
		"Giấy đăng ký theo Nghị định 15/2020/NĐ-CPMẫu số 07.docx1 bản chính"
	got, problem := ParsePapers(in)
	want := []ProcedurePaper{
		{Group: "Giấy tờ phải nộp", Name: "Tờ khai theo mẫu;", Form: "Mau TK01.docx", Originals: 1},
		{Group: "Giấy tờ phải nộp", Name: "Giấy xác nhận của trường học.", Originals: 1, Copies: 1},
		{Group: "Giấy tờ phải nộp", Name: "Trường hợp đã có dữ liệu điện tử thì không nộp."},
		{Group: "Giấy tờ phải xuất trình", Name: "Giấy tờ tùy thân (bản chụp)", Scans: 1},
		{Group: "Giấy tờ phải xuất trình", Name: "Hồ sơ gửi kèm (mẫu 02)", Form: "02-Mau bao cao.doc", Copies: 2},
		{Group: "Giấy tờ phải xuất trình", Name: "Giấy đăng ký theo Nghị định 15/2020/NĐ-CP", Form: "Mẫu số 07.docx", Originals: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows\n got %+v\nwant %+v", got, want)
	}
	checkProblem(t, problem, "")
	if !got[2].IsNote() || got[1].IsNote() {
		t.Errorf("IsNote: a zero row is a note, a counted one is not")
	}
	if q := got[1].Quantity(); q != "1 bản chính, 1 bản sao" {
		t.Errorf("Quantity = %q", q)
	}

	for _, c := range []struct{ name, in, problem string }{
		{"text after the last row", papersHeader + "Đơn1 bản chínhvà một đoạn thừa", "after the last row"},
		{"no header", "Đơn đề nghị1 bản chính", "no table header"},
		{"no rows", papersHeader + "chỉ có chữ", "after the last row"},
		{"empty", "Không có thông tin", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, problem := ParsePapers(c.in)
			checkProblem(t, problem, c.problem)
		})
	}
}

func TestParseLegalBases(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []LegalBase
		problem  string
	}{
		{"numbers run into the next title",
			basesHeader + "Luật Hộ tịch60/2014/QH13Nghị định quy định chi tiết Luật Hộ tịch123/2015/NĐ-CPThông tư hướng dẫn04/2020/TT-BTP",
			[]LegalBase{{"Luật Hộ tịch", "60/2014/QH13"}, {"Nghị định quy định chi tiết Luật Hộ tịch", "123/2015/NĐ-CP"}, {"Thông tư hướng dẫn", "04/2020/TT-BTP"}}, ""},
		{"a number inside a title stays in it",
			basesHeader + "Nghị định số 12/2020/NĐ-CP ngày 01/02/2020 của Chính phủ12/2020/NĐ-CPQuyết định của Thủ tướng05/2021/QĐ-TTg",
			[]LegalBase{{"Nghị định số 12/2020/NĐ-CP ngày 01/02/2020 của Chính phủ", "12/2020/NĐ-CP"}, {"Quyết định của Thủ tướng", "05/2021/QĐ-TTg"}}, ""},
		{"a title that ends in its own number",
			basesHeader + "Luật 60/2014/QH1360/2014/QH13",
			[]LegalBase{{"Luật 60/2014/QH13", "60/2014/QH13"}}, ""},
		{"the next title starts with the issuer's letters",
			basesHeader + "Thông tư về phí85/2019/TT-BTCThông tư sửa đổi106/2021/TT-BTCQuy định mức thu01/2022/TT-BTP",
			[]LegalBase{{"Thông tư về phí", "85/2019/TT-BTC"}, {"Thông tư sửa đổi", "106/2021/TT-BTC"}, {"Quy định mức thu", "01/2022/TT-BTP"}}, ""},
		{"a number run into the title before it, then a space",
			basesHeader + "Thông tư của Bộ Tư pháp08/2025/TT-BTP Nghị định về cơ sở dữ liệu87/2020/NĐ-CP",
			[]LegalBase{{"Thông tư của Bộ Tư pháp", "08/2025/TT-BTP"}, {"Nghị định về cơ sở dữ liệu", "87/2020/NĐ-CP"}}, ""},
		{"the number column repeats the type",
			basesHeader + "Thông tư số 03/2023/TT-BTP của Bộ trưởngThông tư số 03/2023/TT-BTP",
			[]LegalBase{{"Thông tư số 03/2023/TT-BTP của Bộ trưởng", "03/2023/TT-BTP"}}, ""},
		{"the number as the title, the number column with its word",
			basesHeader + "Luật Các tổ chức tín dụngLuật số 32/2024/QH1573/2025/TT-NHNNSố 73/2025/TT-NHNNNghị quyết về sắp xếp190/2025/NQ-QH15",
			[]LegalBase{{"Luật Các tổ chức tín dụng", "32/2024/QH15"}, {"73/2025/TT-NHNN", "73/2025/TT-NHNN"}, {"Nghị quyết về sắp xếp", "190/2025/NQ-QH15"}}, ""},
		{"rows apart by a tab, a list mark",
			basesHeader + "- Thông tư 37/2011/TT-NHNN37/2011/TT-NHNN\t Thông tư 17/2011/TT-NHNN17/2011/TT-NHNN",
			[]LegalBase{{"Thông tư 37/2011/TT-NHNN", "37/2011/TT-NHNN"}, {"Thông tư 17/2011/TT-NHNN", "17/2011/TT-NHNN"}}, ""},
		{"a type alone as the title",
			basesHeader + "Luật28/2023/QH15",
			[]LegalBase{{"Luật 28/2023/QH15", "28/2023/QH15"}}, ""},
		{"a row without a number cell",
			basesHeader + "Luật Trẻ em102/2016/QH13Luật Hóa chất",
			[]LegalBase{{"Luật Trẻ em", "102/2016/QH13"}, {"Luật Hóa chất", ""}}, ""},
		{"two titles run together",
			basesHeader + "Quy định về môi trườngNghị định số 33/2026/NĐ-CP về trồng trọt15/2025/TT-BNNMT",
			[]LegalBase{{"Quy định về môi trường", ""}, {"Nghị định số 33/2026/NĐ-CP về trồng trọt", "15/2025/TT-BNNMT"}}, ""},
		{"free text without a table",
			": Thông tư 269/2016/TT-BTC ngày 14/11/2016 quy định mức thu",
			[]LegalBase{{"Thông tư 269/2016/TT-BTC ngày 14/11/2016 quy định mức thu", "269/2016/TT-BTC"}}, ""},
		{"a title cut inside a word",
			basesHeader + "Luật Giao thông36/2024/QH15hông tư về phí06/2025/TT-BTC",
			nil, "mid-word"},
		{"a row that is not a document",
			basesHeader + "Luật Giao thông36/2024/QH15Cơ quan thực hiệnSở Xây dựng",
			nil, "without a number"},
		{"a number run into a title",
			basesHeader + "Hướng dẫn pháp lệnh31/2013/NĐ-CP 05/2013/TT-BLĐTBXH hướng dẫn",
			nil, "run into the title"},
		{"empty", "Không có thông tin", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, problem := ParseLegalBases(c.in)
			if c.want != nil && !reflect.DeepEqual(got, c.want) {
				t.Errorf("rows\n got %q\nwant %q", got, c.want)
			}
			checkProblem(t, problem, c.problem)
		})
	}
}

func TestParseResults(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []ProcedureResult
	}{
		{"one, with the portal's form after it",
			"Giấy chứng nhậnMã: KQ.G15.000031Từ khóaKhông có thông tinMô tảKhông có thông tinChọn cơ quan thực hiệnTỉnh/ Thành phố",
			[]ProcedureResult{{Name: "Giấy chứng nhận", Code: "KQ.G15.000031"}}},
		{"two",
			"Văn bản chấp thuậnMã: KQ.G19.000525Từ khóaKhông có thông tinMô tảKhông có thông tinVăn bản từ chốiMã: KQ.G19.000526Từ khóaKhông có thông tinMô tảKhông có thông tin",
			[]ProcedureResult{{Name: "Văn bản chấp thuận", Code: "KQ.G19.000525"}, {Name: "Văn bản từ chối", Code: "KQ.G19.000526"}}},
		{"the next name right after the code",
			"Giấy phépMã: KQ.G01.000014Văn bản trả lờiMã: KQ.G01.000015Từ khóaKhông có thông tinMô tảcấp trong ngày",
			[]ProcedureResult{{Name: "Giấy phép", Code: "KQ.G01.000014"}, {Name: "Văn bản trả lời", Code: "KQ.G01.000015", Note: "cấp trong ngày"}}},
		{"free text", "Quyết định hành chính", []ProcedureResult{{Name: "Quyết định hành chính"}}},
		{"empty", "Không có thông tin", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ParseResults(c.in); !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestEmptyProcedureField(t *testing.T) {
	for in, want := range map[string]bool{
		"": true, "Không có thông tin": true, methodsHeader: true, " " + basesHeader + "Không có thông tin": true,
		basesHeader + "Luật Trẻ em102/2016/QH13": false,
	} {
		if got := EmptyProcedureField(in); got != want {
			t.Errorf("EmptyProcedureField(%q) = %v", in, got)
		}
	}
}

func checkProblem(t *testing.T, got, want string) {
	t.Helper()
	switch {
	case want == "" && got != "":
		t.Errorf("problem %q, want none", got)
	case want != "" && !strings.Contains(got, want):
		t.Errorf("problem %q, want one about %q", got, want)
	}
}
