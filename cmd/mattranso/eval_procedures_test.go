package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalProcedures runs the command over a dump of two procedures, one
// whose legal basis reads into rows and one whose does not, and over a
// dump that is not there.
func TestEvalProcedures(t *testing.T) {
	dump := filepath.Join(t.TempDir(), "procedures.jsonl")
	lines := []map[string]string{
		{"ma_thu_tuc": "9.000001", "cach_thuc_thuc_hien": "Hình thức nộpThời gianPhí, lệ phíMô tảTrực tiếp5 Ngày làm việcMiễn phí",
			"thanh_phan_ho_so": "Tên giấy tờMẫu đơn, tờ khaiSố lượngĐơn đề nghị1 bản chính",
			"can_cu_phap_ly":   "Tên văn bản pháp lýMã văn bảnLuật Cư trú68/2020/QH14"},
		{"ma_thu_tuc": "9.000002", "can_cu_phap_ly": "Tên văn bản pháp lýMã văn bảnLuật Cư trú68/2020/QH14Cơ quan thực hiệnỦy ban"},
	}
	var b strings.Builder
	for _, l := range lines {
		j, _ := json.Marshal(l)
		b.Write(j)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(dump, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runCmd(t, map[string]string{"MATTRANSO_INGEST": "none"}, "eval", "procedures", "--dump", dump, "-v")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		Procedures      int     `json:"procedures"`
		LegalBases      int     `json:"legal_bases"`
		LegalBasesShare float64 `json:"legal_bases_share"`
		DocumentsShare  float64 `json:"documents_share"`
		ChannelsShare   float64 `json:"channels_share"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if got.Procedures != 2 || got.LegalBases != 2 || got.LegalBasesShare != 0.5 || got.DocumentsShare != 1 || got.ChannelsShare != 1 {
		t.Errorf("figures %+v from %s", got, stdout)
	}
	if !strings.Contains(stderr, "9.000002 legal_basis:") || strings.Contains(stderr, "9.000001") {
		t.Errorf("failures listed: %q, want 9.000002's legal basis alone", stderr)
	}

	_, stderr, code = runCmd(t, map[string]string{"MATTRANSO_INGEST": "none"}, "eval", "procedures", "--dump", "/no/such/dump.jsonl")
	if code != 1 || !strings.Contains(stderr, "/no/such/dump.jsonl") {
		t.Errorf("a missing dump: exit %d, stderr %q", code, stderr)
	}
}
