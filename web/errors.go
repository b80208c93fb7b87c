package web

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/mattranso/mattranso/api"
)

// ErrorPage is the data of the shell's "error" page.
type ErrorPage struct {
	Status    int
	Title     string
	Message   string
	RequestID string
}

type site struct {
	log   *slog.Logger
	shell *Renderer
}

var shellErrors = map[int]struct{ code, title, message string }{
	http.StatusNotFound: {"not_found", "Không tìm thấy trang",
		"Trang bạn tìm không có hoặc đã được chuyển đi. Hãy kiểm tra lại địa chỉ, hoặc tìm văn bản trong thư viện."},
	http.StatusMethodNotAllowed: {"method_not_allowed", "Yêu cầu không được hỗ trợ",
		"Địa chỉ này không nhận phương thức yêu cầu vừa gửi."},
	http.StatusRequestEntityTooLarge: {"body_too_large", "Nội dung quá lớn",
		"Nội dung gửi lên vượt quá giới hạn cho phép."},
	http.StatusBadRequest: {"invalid_request", "Yêu cầu không hợp lệ",
		"Yêu cầu chứa dữ liệu không đọc được."},
	http.StatusInternalServerError: {"internal", "Đã có lỗi xảy ra",
		"Hệ thống gặp sự cố khi xử lý yêu cầu. Vui lòng thử lại sau ít phút."},
}

// fail answers status with the shell's own message: JSON under /api, the
// error page elsewhere.
func (s *site) fail(c *gin.Context, status int) {
	e := shellErrors[status]
	if e.code == "" {
		e = shellErrors[http.StatusInternalServerError]
	}
	s.respond(c, status, e.code, e.title, e.message)
}

func (s *site) respond(c *gin.Context, status int, code, title, message string) {
	s.refuse(c, status, code, "", title, message)
}

// refuse answers a refusal of field (empty for none): JSON under /api, the
// error page elsewhere.
func (s *site) refuse(c *gin.Context, status int, code, field, title, message string) {
	if api.IsAPIPath(c.Request.URL.Path) {
		if code == "method_not_allowed" {
			message = "Phương thức " + c.Request.Method + " không được hỗ trợ ở địa chỉ này."
		} else if code == "not_found" {
			message = "Không có API nào ở địa chỉ " + c.Request.URL.Path + "."
		}
		c.Abort()
		api.WriteError(c.Writer, status, code, field, message)
		return
	}
	c.Abort()
	s.shell.Render(c.Writer, c.Request, status, "error", ErrorPage{
		Status: status, Title: title, Message: message, RequestID: RequestID(c.Request.Context()),
	})
}
