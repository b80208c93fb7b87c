package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mattranso/mattranso/assistant"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/config"
	"github.com/mattranso/mattranso/cmd/mattranso/internal/server"
	"github.com/mattranso/mattranso/eval"
	"github.com/mattranso/mattranso/retrieval"
)

// askLatencyQuestions are questions staff ask about procedures and laws,
// written for measuring latency: what they ask, not what the corpus says.
var askLatencyQuestions = []string{
	"Thủ tục đăng ký thường trú cần những giấy tờ gì?",
	"Thời hạn giải quyết đăng ký tạm trú là bao nhiêu ngày?",
	"Hồ sơ cấp thẻ căn cước cho công dân từ đủ 14 tuổi gồm những gì?",
	"Cấp lại thẻ căn cước bị mất thì nộp hồ sơ ở đâu?",
	"Đăng ký khai sinh cho trẻ em cần mang theo giấy tờ gì?",
	"Thủ tục đăng ký kết hôn có yếu tố nước ngoài thực hiện tại cơ quan nào?",
	"Lệ phí đăng ký kết hôn là bao nhiêu?",
	"Thời hạn cấp giấy chứng nhận đăng ký hộ kinh doanh là mấy ngày làm việc?",
	"Hồ sơ đề nghị cấp giấy phép xây dựng nhà ở riêng lẻ gồm những giấy tờ nào?",
	"Thủ tục đăng ký xe mô tô lần đầu như thế nào?",
	"Làm thế nào để xin cấp phiếu lý lịch tư pháp?",
	"Thủ tục chứng thực bản sao từ bản chính ở Ủy ban nhân dân cấp xã",
	"Người dân khiếu nại quyết định hành chính thì thời hiệu khiếu nại là bao lâu?",
	"Trình tự giải quyết tố cáo tại cấp xã",
	"Thủ tục xác nhận thông tin về cư trú",
	"Hồ sơ hưởng trợ cấp thất nghiệp gồm những gì?",
	"Điều kiện được cấp giấy phép kinh doanh dịch vụ lữ hành nội địa",
	"Thủ tục đăng ký giám hộ cho người chưa thành niên",
	"Cơ quan nào có thẩm quyền cấp giấy chứng nhận quyền sử dụng đất lần đầu?",
	"Thủ tục đăng ký biến động đất đai khi chuyển nhượng quyền sử dụng đất",
	"Độ tuổi kết hôn của nam và nữ theo Luật Hôn nhân và gia đình là bao nhiêu?",
	"Những trường hợp nào bị cấm kết hôn?",
	"Tài sản chung của vợ chồng gồm những gì?",
	"Thời giờ làm việc bình thường của người lao động không quá bao nhiêu giờ trong một ngày?",
	"Người lao động nghỉ thai sản được bao nhiêu tháng?",
	"Người sử dụng lao động được đơn phương chấm dứt hợp đồng lao động trong trường hợp nào?",
	"Tuổi chịu trách nhiệm hình sự là bao nhiêu?",
	"Tội trộm cắp tài sản bị phạt tù bao nhiêu năm?",
	"Thời hiệu khởi kiện vụ án hành chính là bao lâu?",
	"Người khởi kiện vụ án hành chính có những quyền gì?",
	"Viên chức bị kỷ luật bằng những hình thức nào?",
	"Thời gian tập sự của viên chức là bao lâu?",
	"Công dân có quyền tiếp cận những thông tin nào?",
	"Thời hạn cung cấp thông tin theo yêu cầu là bao nhiêu ngày?",
	"Hành vi bạo lực gia đình gồm những hành vi nào?",
	"Biện pháp ngăn chặn, bảo vệ người bị bạo lực gia đình là gì?",
	"Người nghiện ma túy từ đủ 18 tuổi trở lên bị áp dụng biện pháp gì?",
	"Cai nghiện ma túy tự nguyện tại gia đình thực hiện như thế nào?",
	"Thanh niên là người trong độ tuổi nào?",
	"Những hành vi bị nghiêm cấm về an ninh mạng là gì?",
	"Hợp đồng lữ hành phải có những nội dung gì?",
	"Khách du lịch có những quyền gì?",
	"Thỏa thuận trọng tài vô hiệu trong những trường hợp nào?",
	"Quyền và nghĩa vụ của Trọng tài viên",
	"Thời hiệu khởi kiện về hợp đồng dân sự là bao lâu?",
	"Người từ đủ bao nhiêu tuổi được tự mình xác lập giao dịch dân sự?",
	"Di chúc hợp pháp phải có những điều kiện gì?",
	"Cơ sở kinh doanh rượu bia không được bán cho người dưới bao nhiêu tuổi?",
	"Nhiệm vụ, quyền hạn của Viện kiểm sát nhân dân khi kiểm sát điều tra",
	"Đối tượng thanh tra có những nghĩa vụ gì?",
}

// askLatency asks the library in dataDir each question through the
// assistant as serve builds it (keyword index, the vectors of the local
// embedder or the configured one, the re-ranker) and reports the latency
// of one Ask. The first pass warms the caches and is reported apart.
func askLatency(ctx context.Context, dataDir, questionsFile string, rounds int, asJSON bool, stdout, stderr io.Writer) error {
	questions := askLatencyQuestions
	if questionsFile != "" {
		var err error
		if questions, err = readQuestions(questionsFile); err != nil {
			return err
		}
	}
	if rounds < 1 {
		return exitError{2, fmt.Errorf("eval answers: --rounds %d: at least 1", rounds)}
	}
	cfg, err := config.Load(config.Log, config.Data, config.Search)
	if err != nil {
		return err
	}
	cfg.DataDir = dataDir
	if _, err := os.Stat(cfg.KeywordDir()); err != nil {
		return exitError{2, fmt.Errorf("eval answers: no keyword index in %s (run mattranso ingest --data %s ../shared/corpus first): %w", dataDir, dataDir, err)}
	}
	log := newLogger(stderr, cfg.LogLevel)
	lib, err := server.Open(ctx, cfg)
	if err != nil {
		return err
	}
	defer lib.Close()
	if lib.Index.Fresh {
		return exitError{2, fmt.Errorf("eval answers: the keyword index in %s is empty: ingest the library first", dataDir)}
	}
	if err := lib.SetupVectors(ctx, cfg, log); err != nil {
		return fmt.Errorf("eval answers: vectors of %s: %w", dataDir, err)
	}
	search := fmt.Sprintf("%s, re-ranker %s", cfg.Search.Mode, cfg.Search.Reranker)
	if lib.Vectors() == nil {
		search += ", no vectors (keywords only)"
	}
	ts := &timedSearch{Searcher: lib.Search}
	a := assistant.New(assistant.Options{Searcher: ts, Documents: lib.Docs, Logger: log})
	ask := func() ([]time.Duration, int, error) {
		var lat []time.Duration
		supported := 0
		ts.took = ts.took[:0]
		for _, q := range questions {
			start := time.Now()
			ans, err := a.Ask(ctx, assistant.Request{Question: q})
			if err != nil {
				return nil, 0, fmt.Errorf("eval answers: %q: %w", q, err)
			}
			lat = append(lat, time.Since(start))
			if ans.Supported {
				supported++
			}
		}
		return lat, supported, nil
	}
	cold, supported, err := ask()
	if err != nil {
		return err
	}
	var warm, warmSearch []time.Duration
	for range rounds {
		lat, _, err := ask()
		if err != nil {
			return err
		}
		warm = append(warm, lat...)
		warmSearch = append(warmSearch, ts.took...)
	}
	type figures struct {
		Asks int     `json:"asks"`
		P50  float64 `json:"latency_ms_p50"`
		P95  float64 `json:"latency_ms_p95"`
		Max  float64 `json:"latency_ms_max"`
	}
	fig := func(d []time.Duration) figures {
		p50, p95, worst := eval.LatencyMS(d)
		return figures{Asks: len(d), P50: p50, P95: p95, Max: worst}
	}
	res := struct {
		Data      string  `json:"data"`
		Search    string  `json:"search"`
		Questions int     `json:"questions"`
		Supported int     `json:"supported"`
		First     figures `json:"first_pass"`
		Warm      figures `json:"warm"`
		// WarmSearch is the retrieval part of the warm asks.
		WarmSearch figures `json:"warm_search"`
	}{dataDir, search, len(questions), supported, fig(cold), fig(warm), fig(warmSearch)}
	if asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	fmt.Fprintf(stdout, "data               %s\nsearch             %s\nquestions          %d (%d answered, %d declined: no support found)\n", res.Data, res.Search, res.Questions, res.Supported, res.Questions-res.Supported)
	for _, r := range []struct {
		name string
		f    figures
	}{{"first pass", res.First}, {fmt.Sprintf("warm (%d rounds)", rounds), res.Warm}, {"  of which search", res.WarmSearch}} {
		fmt.Fprintf(stdout, "%-18s asks %d  p50 %.1f ms  p95 %.1f ms  max %.1f ms\n", r.name, r.f.Asks, r.f.P50, r.f.P95, r.f.Max)
	}
	return nil
}

// timedSearch records how long each search takes, to tell retrieval from
// extraction in the latency of an Ask. It is not safe for concurrent use.
type timedSearch struct {
	retrieval.Searcher
	took []time.Duration
}

func (t *timedSearch) Search(ctx context.Context, q retrieval.Query) (retrieval.Result, error) {
	start := time.Now()
	r, err := t.Searcher.Search(ctx, q)
	t.took = append(t.took, time.Since(start))
	return r, err
}

// readQuestions reads one question a line; blank lines and lines starting
// with # are skipped.
func readQuestions(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("eval answers: --questions: %w", err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("eval answers: --questions %s: %w", path, err)
	}
	if len(out) == 0 {
		return nil, errors.New("eval answers: --questions " + path + ": no question in the file")
	}
	return out, nil
}
