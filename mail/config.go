package mail

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

const (
	// StartTLS connects in plain text and upgrades with STARTTLS before
	// anything else is said; a server that does not offer it is an error,
	// never a reason to go on in the clear. The zero value means this.
	StartTLS TLSMode = "starttls"
	// ImplicitTLS speaks TLS from the first byte (port 465, "smtps").
	ImplicitTLS TLSMode = "tls"
	// NoTLS sends in plain text: for a relay on the same machine or
	// network only. Credentials are still sent only to localhost.
	NoTLS TLSMode = "none"
)

// Config says where and how to send.
type Config struct {
	Addr     string // host:port of the SMTP server
	Username string // empty: no authentication
	Password string
	// From is the sender: "no-reply@mattranso.vn" or
	// "Mặt trận số <no-reply@mattranso.vn>".
	From string
	TLS  TLSMode // "" is StartTLS
	// RootCAs, when set, replaces the system's roots for verifying the
	// server's certificate (a private CA).
	RootCAs *x509.CertPool
}

func (c Config) mode() TLSMode {
	if c.TLS == "" {
		return StartTLS
	}
	return c.TLS
}

// check validates c and returns its host and sender.
func (c Config) check() (host string, from address, err error) {
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil || host == "" {
		return "", address{}, invalid("addr",
			fmt.Sprintf("%q không phải host:cổng của máy chủ SMTP, ví dụ smtp.example.vn:587", c.Addr),
			fmt.Sprintf("%q is not the SMTP server's host:port, e.g. smtp.example.vn:587", c.Addr))
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return "", address{}, invalid("addr",
			fmt.Sprintf("cổng %q không hợp lệ: cần số từ 1 đến 65535", port),
			fmt.Sprintf("port %q is not valid: want a number from 1 to 65535", port))
	}
	switch c.mode() {
	case StartTLS, ImplicitTLS, NoTLS:
	default:
		return "", address{}, invalid("tls",
			fmt.Sprintf("%q không hợp lệ: dùng starttls, tls hoặc none", c.TLS),
			fmt.Sprintf("%q is not valid: use starttls, tls or none", c.TLS))
	}
	if c.Password != "" && c.Username == "" {
		return "", address{}, invalid("username", "có mật khẩu nhưng thiếu tên đăng nhập", "a password is set without a user name")
	}
	if err := c.checkCredentials(host); err != nil {
		return "", address{}, err
	}
	from, err = parseAddress("from", c.From)
	return host, from, err
}

// String is the configuration as an SMTP URL with the password hidden, for
// logs.
func (c Config) String() string {
	u := url.URL{Scheme: "smtp", Host: c.Addr}
	if c.Username != "" {
		if c.Password != "" {
			u.User = url.UserPassword(c.Username, "xxxxx")
		} else {
			u.User = url.User(c.Username)
		}
	}
	q := url.Values{}
	q.Set("from", c.From)
	q.Set("tls", string(c.mode()))
	u.RawQuery = q.Encode()
	return u.String()
}

// ParseURL reads an SMTP configuration written as one URL:
//
//	smtp://user:password@smtp.example.vn:587?from=no-reply@example.vn&tls=starttls
//
// The scheme is smtp, or smtps for implicit TLS. Parameters: from (the
// sender, required; "Name <address>" URL-encoded works too) and tls
// (starttls, the default; tls, the default for smtps and port 465; none).
// Without a port: 587 for starttls, 465 for tls, 25 for none. User and
// password are optional and percent-encoded. The errors name the part that
// is wrong and never repeat the password.
func ParseURL(s string) (Config, error) {
	var c Config
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return c, invalid("scheme", "URL SMTP phải bắt đầu bằng smtp:// hoặc smtps://", "an SMTP URL must start with smtp:// or smtps://")
	}
	scheme = strings.ToLower(scheme)
	if scheme != "smtp" && scheme != "smtps" {
		return c, invalid("scheme",
			fmt.Sprintf("%q không được hỗ trợ: dùng smtp hoặc smtps", scheme),
			fmt.Sprintf("%q is not supported: use smtp or smtps", scheme))
	}
	// url.Parse's errors quote the whole URL, password included, so the
	// parts are taken apart here and no message quotes the authority:
	// a password with an unencoded reserved character would otherwise
	// show up as a "host" or a "port". The user information ends at the
	// last @ before the query, so that an unencoded / or : in a password
	// still reads as a password.
	head, tail := rest, ""
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		head, tail = rest[:i], rest[i:]
	}
	userinfo, hostport := "", head
	if i := strings.LastIndex(head, "@"); i >= 0 {
		userinfo, hostport = head[:i], head[i+1:]
	}
	if i := strings.Index(hostport, "/"); i >= 0 {
		hostport, tail = hostport[:i], hostport[i:]+tail
	}
	if userinfo != "" {
		user, pass, hasPass := strings.Cut(userinfo, ":")
		var err error
		if c.Username, err = url.PathUnescape(user); err != nil || c.Username == "" {
			return c, invalid("user", "tên đăng nhập trống hoặc mã hoá %XX sai", "the user name is empty or badly %-encoded")
		}
		if c.Password, err = url.PathUnescape(pass); err != nil {
			return c, invalid("password", "mật khẩu mã hoá %XX sai (ký tự đặc biệt phải viết %XX)", "the password is badly %-encoded (special characters must be written %XX)")
		}
		if !hasPass || c.Password == "" {
			return c, invalid("password", "có tên đăng nhập nhưng thiếu mật khẩu", "a user name is given without a password")
		}
	}

	host, port := hostport, ""
	if strings.HasSuffix(hostport, ":") {
		return c, invalid("port", "có dấu : nhưng thiếu số cổng", "a : is given without a port number")
	}
	if strings.HasPrefix(hostport, "[") {
		end := strings.Index(hostport, "]")
		if end < 0 {
			return c, invalid("host", "địa chỉ IPv6 thiếu dấu ]", "the IPv6 address lacks its ]")
		}
		host, port = hostport[1:end], hostport[end+1:]
		if port != "" && !strings.HasPrefix(port, ":") {
			return c, invalid("port", "sau địa chỉ IPv6 chỉ được có :cổng", "only :port may follow the IPv6 address")
		}
		port = strings.TrimPrefix(port, ":")
	} else if h, p, ok := strings.Cut(hostport, ":"); ok {
		host, port = h, p
		if strings.Contains(p, ":") {
			return c, invalid("host", "địa chỉ IPv6 phải đặt trong [ ]", "an IPv6 address must be written in [ ]")
		}
	}
	if host == "" {
		return c, invalid("host", "thiếu tên máy chủ SMTP", "the SMTP server's host name is missing")
	}
	for _, r := range host {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-:_", r)) {
			return c, invalid("host", "tên máy chủ SMTP có ký tự không hợp lệ (chỉ chữ không dấu, số, dấu chấm, gạch ngang)",
				"the SMTP server's host name has a character that is not allowed (ASCII letters, digits, dots, hyphens only)")
		}
	}

	u, err := url.Parse("smtp://host" + tail)
	if err != nil {
		return c, invalid("query", "phần sau tên máy chủ (đường dẫn, tham số) không đọc được", "the part after the host (path, parameters) cannot be read")
	}
	if u.Path != "" && u.Path != "/" {
		return c, invalid("path",
			fmt.Sprintf("URL SMTP không có đường dẫn; %q thừa", u.Path),
			fmt.Sprintf("an SMTP URL has no path; %q is extra", u.Path))
	}
	if u.Fragment != "" {
		return c, invalid("fragment", "URL SMTP không có phần #", "an SMTP URL has no # part")
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return c, invalid("query", "tham số sau ? mã hoá sai", "the parameters after ? are badly encoded")
	}
	for k, v := range q {
		switch k {
		case "from", "tls":
			if len(v) > 1 {
				return c, invalid(k,
					fmt.Sprintf("tham số %s có %d lần; chỉ được một", k, len(v)),
					fmt.Sprintf("parameter %s is given %d times; give it once", k, len(v)))
			}
		default:
			return c, invalid(k,
				fmt.Sprintf("tham số %q không được hỗ trợ: chỉ có from và tls", k),
				fmt.Sprintf("parameter %q is not supported: there are from and tls only", k))
		}
	}

	c.From = q.Get("from")
	if c.From == "" {
		return c, invalid("from", "thiếu tham số from (địa chỉ người gửi), ví dụ ?from=no-reply@example.vn", "the from parameter (the sender) is missing, e.g. ?from=no-reply@example.vn")
	}
	switch t := TLSMode(strings.ToLower(q.Get("tls"))); t {
	case "":
		c.TLS = StartTLS
		if scheme == "smtps" || port == "465" {
			c.TLS = ImplicitTLS
		}
	case StartTLS, ImplicitTLS, NoTLS:
		if scheme == "smtps" && t != ImplicitTLS {
			return c, invalid("tls",
				fmt.Sprintf("smtps là TLS ngay từ đầu; tls=%s mâu thuẫn với nó", t),
				fmt.Sprintf("smtps is TLS from the start; tls=%s contradicts it", t))
		}
		c.TLS = t
	default:
		return c, invalid("tls",
			fmt.Sprintf("%q không hợp lệ: dùng starttls, tls hoặc none", q.Get("tls")),
			fmt.Sprintf("%q is not valid: use starttls, tls or none", q.Get("tls")))
	}
	if port == "" {
		port = map[TLSMode]string{StartTLS: "587", ImplicitTLS: "465", NoTLS: "25"}[c.TLS]
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return c, invalid("port", "cổng không hợp lệ: cần số từ 1 đến 65535", "the port is not valid: want a number from 1 to 65535")
	}
	c.Addr = net.JoinHostPort(host, port)
	if _, _, err := c.check(); err != nil {
		return c, err
	}
	return c, nil
}
