package feedback

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mattranso/mattranso/api"
)

// Response is a model text an officer starts from at a step of an item's
// handling: the notice of acceptance, the reason of a rejection, the
// forwarding note, the answer. Its text holds placeholders filled from
// the item (Fill):
//
//	{ma_theo_doi}  the tracking code, ABCDE-FGHJK
//	{don_vi}       the receiving unit's name
//	{han_xu_ly}    the deadline, dd/mm/yyyy
//	{ngay_gui}     the day it was sent, dd/mm/yyyy
//	{linh_vuc}     the topic's name
//	{dia_ban}      the commune and province
//	{co_quan}      the agency it was forwarded to ("cơ quan có thẩm quyền" before)
//
// Brackets ([kết quả kiểm tra]) mark what the officer writes in.
type Response struct {
	ID    string `json:"id"`
	Topic string `json:"topic,omitempty"` // "" for every topic
	// Move is the step it is for: accepted, rejected, forwarded or
	// answered.
	Move  State  `json:"move"`
	Title string `json:"title"`
	Text  string `json:"text"`
}

// ResponseMoves are the steps responses exist for.
var ResponseMoves = []State{Accepted, Rejected, Forwarded, Answered}

// Responses is the set of model texts.
//
// A responses file (MATTRANSO_FEEDBACK_RESPONSES) is JSON:
//
//	{
//	  "defaults": true,
//	  "responses": [
//	    {"id": "tra_loi_giao_thong", "topic": "giao_thong", "move": "answered",
//	     "title": "Đã sửa chữa mặt đường", "text": "Phản ánh mã {ma_theo_doi} …"}
//	  ]
//	}
//
// Its responses are added to the defaults, one with the id of a default
// replacing it; "defaults": false drops the defaults.
type Responses struct {
	list []Response
}

// MaxResponse bounds a response's text, in characters.
const MaxResponse = 5000

var placeholders = []string{"ma_theo_doi", "don_vi", "han_xu_ly", "ngay_gui", "linh_vuc", "dia_ban", "co_quan"}

var placeholderPattern = regexp.MustCompile(`\{[^{}]*\}`)

var responseIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

// DefaultResponses are the model texts when none are configured: for
// every topic of the default taxonomy a notice of acceptance and reasons
// of rejection (shared by all), and a forwarding note and an answer of
// its own.
func DefaultResponses() *Responses {
	rs := &Responses{list: slices.Clone(generalResponses)}
	for _, t := range topicResponses {
		rs.list = append(rs.list,
			Response{ID: "chuyen_" + t.topic, Topic: t.topic, Move: Forwarded, Title: "Chuyển " + t.name,
				Text: "{don_vi} đã chuyển phản ánh, kiến nghị mã {ma_theo_doi} (lĩnh vực {linh_vuc}, địa bàn {dia_ban}) đến {co_quan}, đề nghị " +
					t.forward + " và trả lời công dân, đồng thời thông báo kết quả cho {don_vi} trước ngày {han_xu_ly}."},
			Response{ID: "tra_loi_" + t.topic, Topic: t.topic, Move: Answered, Title: "Trả lời " + t.name,
				Text: "Trả lời phản ánh, kiến nghị mã {ma_theo_doi} gửi ngày {ngay_gui}:\n\n" + t.answer +
					"\n\n{don_vi} cảm ơn ông/bà đã phản ánh và tiếp tục giám sát việc thực hiện."},
		)
	}
	return rs
}

var generalResponses = []Response{
	{ID: "thu_ly", Move: Accepted, Title: "Thông báo thụ lý",
		Text: "{don_vi} đã nhận phản ánh, kiến nghị mã {ma_theo_doi} của ông/bà gửi ngày {ngay_gui} về lĩnh vực {linh_vuc} tại {dia_ban}. " +
			"Phản ánh đã được thụ lý; kết quả sẽ được thông báo chậm nhất ngày {han_xu_ly}."},
	{ID: "thu_ly_xac_minh", Move: Accepted, Title: "Thụ lý, cần xác minh thực tế",
		Text: "{don_vi} đã thụ lý phản ánh mã {ma_theo_doi} và sẽ phối hợp kiểm tra thực tế tại {dia_ban}. " +
			"Cán bộ có thể liên hệ ông/bà để làm rõ thêm thông tin. Kết quả sẽ được thông báo chậm nhất ngày {han_xu_ly}."},
	{ID: "khong_thu_ly_tham_quyen", Move: Rejected, Title: "Không thuộc phạm vi tiếp nhận",
		Text: "Nội dung phản ánh mã {ma_theo_doi} không thuộc phạm vi tiếp nhận, giải quyết của {don_vi} " +
			"(đang được giải quyết theo thủ tục tố tụng, hoặc là yêu cầu giải quyết tranh chấp dân sự giữa các cá nhân). " +
			"Đề nghị ông/bà liên hệ [cơ quan có thẩm quyền] để được hướng dẫn."},
	{ID: "khong_thu_ly_thieu_thong_tin", Move: Rejected, Title: "Thiếu thông tin để xác minh",
		Text: "Phản ánh mã {ma_theo_doi} chưa nêu rõ địa điểm, thời gian và sự việc cụ thể nên chưa thể xác minh. " +
			"Ông/bà vui lòng gửi phản ánh mới với đầy đủ thông tin (địa chỉ, thời gian, hình ảnh nếu có)."},
	{ID: "khong_thu_ly_da_giai_quyet", Move: Rejected, Title: "Đã được giải quyết, không có tình tiết mới",
		Text: "Vụ việc nêu trong phản ánh mã {ma_theo_doi} đã được cơ quan có thẩm quyền giải quyết theo quy định tại [văn bản, ngày]; " +
			"nội dung phản ánh không có tình tiết mới nên {don_vi} không thụ lý lại."},
	{ID: "trung_lap", Move: Rejected, Title: "Trùng với phản ánh đang xử lý",
		Text: "Nội dung phản ánh mã {ma_theo_doi} trùng với phản ánh mã [mã theo dõi] đang được {don_vi} xử lý. " +
			"Kết quả giải quyết sẽ được công bố chung trên hệ thống."},
	{ID: "chuyen", Move: Forwarded, Title: "Chuyển cơ quan có thẩm quyền",
		Text: "{don_vi} đã chuyển phản ánh, kiến nghị mã {ma_theo_doi} đến {co_quan} để xem xét, giải quyết theo thẩm quyền " +
			"và đề nghị thông báo kết quả trước ngày {han_xu_ly}."},
	{ID: "tra_loi", Move: Answered, Title: "Trả lời kết quả giải quyết",
		Text: "Trả lời phản ánh, kiến nghị mã {ma_theo_doi} gửi ngày {ngay_gui}:\n\n" +
			"Qua kiểm tra, xác minh, {co_quan} cho biết: [kết quả kiểm tra, xử lý].\n\n" +
			"{don_vi} cảm ơn ông/bà đã phản ánh."},
}

// topicResponses are what the forwarding note asks and the answer says,
// for each topic of the default taxonomy.
var topicResponses = []struct{ topic, name, forward, answer string }{
	{"dat_dai", "phản ánh đất đai",
		"kiểm tra hiện trạng sử dụng đất, hồ sơ địa chính, việc cấp giấy chứng nhận quyền sử dụng đất liên quan",
		"Qua kiểm tra hồ sơ địa chính và hiện trạng sử dụng đất tại [địa chỉ], {co_quan} xác định: [kết quả kiểm tra]. " +
			"Hướng giải quyết: [cấp, điều chỉnh giấy chứng nhận / hòa giải tranh chấp / xử lý vi phạm]. Thời gian thực hiện: [thời gian]."},
	{"xay_dung_do_thi", "phản ánh xây dựng, trật tự đô thị",
		"kiểm tra giấy phép xây dựng, việc lấn chiếm vỉa hè, lòng đường, xử lý vi phạm trật tự xây dựng, đô thị (nếu có)",
		"Ngày [ngày], {co_quan} đã kiểm tra công trình tại [địa chỉ]: [có / không có giấy phép xây dựng, vi phạm đã xác định]. " +
			"Biện pháp xử lý: [lập biên bản, xử phạt, buộc khắc phục, tháo dỡ]. Tiến độ khắc phục: [thời gian]."},
	{"moi_truong", "phản ánh môi trường",
		"kiểm tra, xác định nguồn gây ô nhiễm (rác thải, nước thải, khói bụi, tiếng ồn), xử lý theo quy định",
		"Qua kiểm tra thực tế ngày [ngày], {co_quan} xác định nguồn gây ô nhiễm là [cơ sở, hoạt động]. " +
			"Biện pháp xử lý: [thu gom rác, yêu cầu khắc phục, xử phạt vi phạm]. Khu vực sẽ tiếp tục được theo dõi đến [thời gian]."},
	{"giao_thong", "phản ánh giao thông",
		"kiểm tra hiện trạng đường, cầu, biển báo, đèn tín hiệu, sửa chữa và bảo đảm an toàn giao thông",
		"Ngày [ngày], {co_quan} đã kiểm tra hiện trạng tại [vị trí] và [đã sửa chữa mặt đường / lắp đặt biển báo / điều chỉnh đèn tín hiệu]. " +
			"[Hạng mục còn lại] sẽ hoàn thành trước [thời gian]."},
	{"an_ninh_trat_tu", "phản ánh an ninh trật tự",
		"xác minh, xử lý vụ việc, tăng cường tuần tra bảo đảm an ninh trật tự trên địa bàn",
		"{co_quan} đã tiếp nhận, xác minh vụ việc tại [địa điểm]: [kết quả xác minh]. " +
			"Biện pháp đã thực hiện: [xử lý vi phạm, tăng cường tuần tra, kiểm tra cơ sở kinh doanh]. Thông tin về người phản ánh được giữ bí mật."},
	{"y_te", "phản ánh y tế",
		"kiểm tra việc khám, chữa bệnh, thái độ phục vụ, an toàn thực phẩm hoặc phòng chống dịch bệnh theo nội dung phản ánh",
		"Qua kiểm tra tại [cơ sở y tế, cơ sở kinh doanh thực phẩm], {co_quan} xác định: [kết quả]. " +
			"Biện pháp chấn chỉnh, xử lý: [biện pháp]. Thời gian thực hiện: [thời gian]."},
	{"giao_duc", "phản ánh giáo dục",
		"kiểm tra việc thu chi, dạy thêm, tuyển sinh, cơ sở vật chất hoặc an toàn trường học theo nội dung phản ánh",
		"Qua làm việc với [trường], {co_quan} xác định: [kết quả kiểm tra]. " +
			"Nhà trường đã [hoàn trả khoản thu sai quy định / chấn chỉnh / sửa chữa cơ sở vật chất]; việc thực hiện sẽ được theo dõi đến [thời gian]."},
	{"lao_dong_viec_lam", "phản ánh lao động, việc làm",
		"kiểm tra việc trả lương, đóng bảo hiểm xã hội, hợp đồng lao động, hỗ trợ việc làm theo nội dung phản ánh",
		"Qua kiểm tra tại [doanh nghiệp, đơn vị], {co_quan} xác định: [kết quả]. " +
			"Doanh nghiệp đã [trả lương còn nợ / đóng bảo hiểm xã hội / ký hợp đồng lao động] trước [thời gian]. " +
			"Ông/bà có thể liên hệ [nơi] để được tư vấn, giới thiệu việc làm."},
	{"an_sinh_xa_hoi", "phản ánh chính sách an sinh xã hội",
		"xem xét hồ sơ, điều kiện hưởng chế độ, chính sách (hộ nghèo, trợ cấp xã hội, người có công, bảo hiểm y tế) và giải quyết theo quy định",
		"Qua rà soát hồ sơ, {co_quan} xác định: [đủ / chưa đủ điều kiện hưởng chế độ, lý do]. " +
			"[Chế độ được hưởng, mức hưởng, thời điểm chi trả] / [hồ sơ cần bổ sung và nơi nộp]."},
	{"dien_nuoc_ha_tang", "phản ánh điện, nước, hạ tầng",
		"kiểm tra, khắc phục sự cố cấp điện, cấp nước, chiếu sáng, thoát nước hoặc hạ tầng theo nội dung phản ánh",
		"Ngày [ngày], {co_quan} đã kiểm tra và [khắc phục sự cố / sửa chữa / thay thế thiết bị] tại [vị trí]. " +
			"[Hạng mục cần đầu tư thêm] đã được đưa vào kế hoạch [năm]."},
	{"thu_tuc_hanh_chinh", "phản ánh thủ tục hành chính, thái độ cán bộ",
		"kiểm tra việc giải quyết hồ sơ, thủ tục hành chính và thái độ, tác phong của cán bộ, công chức liên quan",
		"Qua kiểm tra, {co_quan} xác định hồ sơ [tên thủ tục] của ông/bà [đã được giải quyết ngày / được giải quyết trễ hạn do]. " +
			"Đối với cán bộ, công chức liên quan: [hình thức chấn chỉnh, xử lý]."},
	{"tham_nhung_tieu_cuc", "phản ánh tham nhũng, tiêu cực",
		"xác minh nội dung phản ánh theo quy định của pháp luật về tố cáo và phòng, chống tham nhũng, giữ bí mật thông tin người phản ánh",
		"{co_quan} đã xác minh nội dung phản ánh theo quy định: [kết luận xác minh]. " +
			"[Hình thức xử lý đối với tổ chức, cá nhân vi phạm / nội dung phản ánh không có cơ sở]. Thông tin về người phản ánh được giữ bí mật."},
	{"khac", "phản ánh khác",
		"xem xét, giải quyết theo thẩm quyền",
		"Qua xem xét, {co_quan} cho biết: [kết quả giải quyết]."},
}

// ParseResponses reads a responses file (see Responses), strictly: unknown
// fields, ids that are not lower-case words, moves without responses,
// empty or overlong texts, unknown placeholders and an id given twice
// are refused with the place named. Topics are checked against the
// taxonomy by Check.
func ParseResponses(rd io.Reader) (*Responses, error) {
	data, err := io.ReadAll(io.LimitReader(rd, 4<<20))
	if err != nil {
		return nil, err
	}
	var f struct {
		Defaults  *bool      `json:"defaults"`
		Responses []Response `json:"responses"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("feedback: responses: %w", err)
	}
	if dec.More() {
		return nil, errors.New("feedback: responses: more than one JSON value")
	}
	var errs []error
	seen := map[string]bool{}
	for i, r := range f.Responses {
		if seen[r.ID] {
			errs = append(errs, fmt.Errorf("feedback: responses: responses[%d]: id %q is given twice", i, r.ID))
		}
		seen[r.ID] = true
		if err := r.check(); err != nil {
			errs = append(errs, fmt.Errorf("feedback: responses: responses[%d]: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	rs := &Responses{}
	if f.Defaults == nil || *f.Defaults {
		rs = DefaultResponses()
	}
	for _, r := range f.Responses {
		r.Title, r.Text = strings.TrimSpace(r.Title), strings.TrimSpace(r.Text)
		replaced := false
		for i := range rs.list {
			if rs.list[i].ID == r.ID {
				rs.list[i], replaced = r, true
			}
		}
		if !replaced {
			rs.list = append(rs.list, r)
		}
	}
	return rs, nil
}

// LoadResponses reads a responses file.
func LoadResponses(path string) (*Responses, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("feedback: responses: %w", err)
	}
	defer f.Close()
	rs, err := ParseResponses(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rs, nil
}

func (r Response) check() error {
	var errs []error
	if !responseIDPattern.MatchString(r.ID) {
		errs = append(errs, fmt.Errorf("id %q: want lower-case letters, digits, _ and -, at most 64", r.ID))
	}
	ok := false
	for _, m := range ResponseMoves {
		ok = ok || r.Move == m
	}
	if !ok {
		errs = append(errs, fmt.Errorf("%s: move %q: want accepted, rejected, forwarded or answered", r.ID, r.Move))
	}
	if strings.TrimSpace(r.Title) == "" || utf8.RuneCountInString(r.Title) > 200 {
		errs = append(errs, fmt.Errorf("%s: the title must have 1 to 200 characters", r.ID))
	}
	if c := utf8.RuneCountInString(strings.TrimSpace(r.Text)); c == 0 || c > MaxResponse {
		errs = append(errs, fmt.Errorf("%s: the text must have 1 to %d characters", r.ID, MaxResponse))
	}
	for _, f := range []struct{ name, v string }{{"title", r.Title}, {"text", r.Text}} {
		if e := api.CheckText(f.name, f.v); e != nil {
			errs = append(errs, fmt.Errorf("%s: %s holds a control character or invalid UTF-8", r.ID, f.name))
		}
	}
	for _, p := range placeholderPattern.FindAllString(r.Text, -1) {
		known := false
		for _, name := range placeholders {
			known = known || p == "{"+name+"}"
		}
		if !known {
			errs = append(errs, fmt.Errorf("%s: unknown placeholder %s; known: {%s}", r.ID, p, strings.Join(placeholders, "}, {")))
		}
	}
	return errors.Join(errs...)
}

// Check reports a response for a topic the taxonomy does not hold.
func (rs *Responses) Check(topics func(id string) bool) error {
	var errs []error
	for _, r := range rs.list {
		if r.Topic != "" && !topics(r.Topic) {
			errs = append(errs, fmt.Errorf("feedback: responses: %s: %q is not a topic of the taxonomy", r.ID, r.Topic))
		}
	}
	return errors.Join(errs...)
}

// All returns every response.
func (rs *Responses) All() []Response { return slices.Clone(rs.list) }

// For returns the responses for a step of an item of topic: the topic's
// own first, then those for every topic.
func (rs *Responses) For(topic string, move State) []Response {
	var own, all []Response
	for _, r := range rs.list {
		switch {
		case r.Move != move:
		case r.Topic == "":
			all = append(all, r)
		case r.Topic == topic:
			own = append(own, r)
		}
	}
	return append(own, all...)
}

// ByID returns the response with id.
func (rs *Responses) ByID(id string) (Response, bool) {
	for _, r := range rs.list {
		if r.ID == id {
			return r, true
		}
	}
	return Response{}, false
}

// Fields are the values of a response's placeholders for one item.
type Fields struct {
	Code, Unit, Topic, Place, Agency string
	Due, Sent                        time.Time
}

// Fill returns the response's text with the placeholders filled.
func (r Response) Fill(f Fields) string {
	agency := f.Agency
	if agency == "" {
		agency = "cơ quan có thẩm quyền"
	}
	date := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(Vietnam).Format("02/01/2006")
	}
	return strings.NewReplacer(
		"{ma_theo_doi}", FormatCode(f.Code),
		"{don_vi}", f.Unit,
		"{han_xu_ly}", date(f.Due),
		"{ngay_gui}", date(f.Sent),
		"{linh_vuc}", f.Topic,
		"{dia_ban}", f.Place,
		"{co_quan}", agency,
	).Replace(r.Text)
}
