package web

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// APIError is the JSON body of every error under /api:
// {"error":{"code":"not_found","message":"…"}}.
type APIError struct {
	Error APIErrorDetail `json:"error"`
}

// APIErrorDetail says what went wrong: a stable code for programs, a
// message for people and, for a bad parameter, its name.
type APIErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

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

func isAPI(path string) bool { return path == "/api" || strings.HasPrefix(path, "/api/") }

var shellErrors = map[int]struct{ code, title, message string }{
	http.StatusNotFound: {"not_found", "Không tìm thấy trang",
		"Trang bạn tìm không có hoặc đã được chuyển đi. Hãy kiểm tra lại địa chỉ, hoặc tìm văn bản trong thư viện."},
	http.StatusMethodNotAllowed: {"method_not_allowed", "Yêu cầu không được hỗ trợ",
		"Địa chỉ này không nhận phương thức yêu cầu vừa gửi."},
	http.StatusRequestEntityTooLarge: {"body_too_large", "Nội dung quá lớn",
		"Nội dung gửi lên vượt quá giới hạn cho phép."},
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
	if isAPI(c.Request.URL.Path) {
		if code == "method_not_allowed" {
			message = "Phương thức " + c.Request.Method + " không được hỗ trợ ở địa chỉ này."
		} else if code == "not_found" {
			message = "Không có API nào ở địa chỉ " + c.Request.URL.Path + "."
		}
		c.AbortWithStatusJSON(status, APIError{APIErrorDetail{Code: code, Message: message}})
		return
	}
	c.Abort()
	s.shell.Render(c.Writer, c.Request, status, "error", ErrorPage{
		Status: status, Title: title, Message: message, RequestID: RequestID(c.Request.Context()),
	})
}
