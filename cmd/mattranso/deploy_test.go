package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattranso/mattranso/internal/testenv"
)

// What the multi-instance tests share: the files of deploy/ read as a
// deployment uses them — the systemd unit's command, its environment
// file, nginx's site — with the documented substitutions, a PostgreSQL
// cluster of the test's own (it is stopped and started under load), and
// serve processes that can be killed.

const (
	deployUnit  = "../../deploy/systemd/mattranso@.service"
	deployEnvF  = "../../deploy/systemd/mattranso.env"
	deployNginx = "../../deploy/nginx/mattranso.conf"
	pgBin       = "/usr/lib/postgresql/15/bin"
)

// freeAddr returns a 127.0.0.1 address with a port free now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// unitExec returns the unit's ExecStart for the instance on port, with
// the binary at bin and the state directory under state, as argv.
func unitExec(t testing.TB, bin, state, port string) []string {
	t.Helper()
	b, err := os.ReadFile(deployUnit)
	if err != nil {
		t.Fatal(err)
	}
	for _, ln := range strings.Split(string(b), "\n") {
		cmd, ok := strings.CutPrefix(ln, "ExecStart=")
		if !ok {
			continue
		}
		if !strings.HasPrefix(cmd, "/usr/local/bin/mattranso ") || !strings.Contains(cmd, "/var/lib/mattranso/%i") {
			t.Fatalf("%s: ExecStart %q: the test replaces /usr/local/bin/mattranso and /var/lib/mattranso/%%i, and found them not", deployUnit, cmd)
		}
		cmd = strings.ReplaceAll(cmd, "/usr/local/bin/mattranso", bin)
		cmd = strings.ReplaceAll(cmd, "/var/lib/mattranso", state)
		cmd = strings.ReplaceAll(cmd, "%i", port)
		return strings.Fields(cmd)
	}
	t.Fatalf("%s has no ExecStart line", deployUnit)
	return nil
}

// unitEnv is the environment of an instance: the variables of the
// environment file, then over them set (the test's database, and what a
// test must not depend on).
func unitEnv(t testing.TB, set map[string]string) []string {
	t.Helper()
	f, err := os.Open(deployEnvF)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	var order []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ln := strings.TrimSpace(sc.Text())
		if ln == "" || strings.HasPrefix(ln, "#") {
			continue
		}
		k, v, ok := strings.Cut(ln, "=")
		if !ok {
			t.Fatalf("%s: %q is no NAME=value line", deployEnvF, ln)
		}
		if _, seen := vars[k]; !seen {
			order = append(order, k)
		}
		vars[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok := vars["DATABASE_URL"]; !ok {
		t.Fatalf("%s sets no DATABASE_URL", deployEnvF)
	}
	for k, v := range set {
		if _, seen := vars[k]; !seen {
			order = append(order, k)
		}
		vars[k] = v
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return env
}

// serveProc is one serve process started from the unit's command.
type serveProc struct {
	t      testing.TB
	argv   []string
	env    []string
	base   string
	log    *syncBuffer
	cmd    *exec.Cmd
	exited chan error
}

// startUnit starts the unit's command for port and waits for /readyz.
func startUnit(t testing.TB, bin, state, port string, env []string) *serveProc {
	t.Helper()
	return startProc(t, unitExec(t, bin, state, port), env, "http://127.0.0.1:"+port)
}

// startProc starts argv, a serve command listening at base, and waits
// for /readyz.
func startProc(t testing.TB, argv, env []string, base string) *serveProc {
	t.Helper()
	p := &serveProc{t: t, argv: argv, env: env, base: base, log: &syncBuffer{}}
	p.start()
	t.Cleanup(p.stop)
	p.waitReady(3 * time.Minute)
	return p
}

func (p *serveProc) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.argv[0], p.argv[1:]...)
	p.cmd.Env = p.env
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exited = make(chan error, 1)
	go func(cmd *exec.Cmd, c chan error) { c <- cmd.Wait() }(p.cmd, p.exited)
}

// kill ends the process with SIGKILL, as a crash would.
func (p *serveProc) kill() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatal(err)
	}
	<-p.exited
	p.cmd = nil
}

// stop ends the process with SIGTERM; it must exit cleanly.
func (p *serveProc) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			p.t.Errorf("serve at %s: %v\n%s", p.base, err, p.log)
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		p.t.Errorf("serve at %s did not stop within 30 s of SIGTERM\n%s", p.base, p.log)
	}
	p.cmd = nil
}

// readyz returns /readyz's status and body ("" and 0 when unreachable).
func readyz(base string) (int, string) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(base + "/readyz")
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

func (p *serveProc) waitReady(within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		select {
		case err := <-p.exited:
			p.t.Fatalf("serve at %s exited: %v\n%s", p.base, err, p.log)
		default:
		}
		if code, _ := readyz(p.base); code == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("serve at %s not ready within %s\n%s", p.base, within, p.log)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// startNginx runs nginx with deploy/'s site, its upstream addresses
// replaced by backends and its listen port by a free one, and returns its
// base URL. Only the documented substitutions are made.
func startNginx(t testing.TB, backends []string) string {
	t.Helper()
	base, _ := startNginxRate(t, backends, false)
	return base
}

// startNginxRate is startNginx; with limited, the feedback limit is
// left as the file sets it. It also returns the path of nginx's error
// log, where failed upstream requests are written.
func startNginxRate(t testing.TB, backends []string, limited bool) (base, errorLog string) {
	t.Helper()
	bin := testenv.Nginx(t)
	b, err := os.ReadFile(deployNginx)
	if err != nil {
		t.Fatal(err)
	}
	site := string(b)
	for i, addr := range backends {
		from := fmt.Sprintf("127.0.0.1:%d ", 8081+i)
		if strings.Count(site, from) != 1 {
			t.Fatalf("%s: want one upstream server %q for instance %d", deployNginx, from, i+1)
		}
		site = strings.Replace(site, from, addr+" ", 1)
	}
	// The file's servers beyond the test's instances are left out (a
	// measure with fewer instances).
	for i := len(backends); strings.Contains(site, fmt.Sprintf("127.0.0.1:%d ", 8081+i)); i++ {
		var kept []string
		for _, ln := range strings.Split(site, "\n") {
			if !strings.Contains(ln, fmt.Sprintf("server 127.0.0.1:%d ", 8081+i)) {
				kept = append(kept, ln)
			}
		}
		site = strings.Join(kept, "\n")
	}
	// The test's clients all come from 127.0.0.1.
	if strings.Count(site, "rate=10r/m;") != 1 {
		t.Fatalf("%s: want one feedback limit `rate=10r/m;`", deployNginx)
	}
	if !limited {
		site = strings.Replace(site, "rate=10r/m;", "rate=100000r/s;", 1)
	}
	listen := freeAddr(t)
	if strings.Count(site, "listen 80;") != 1 {
		t.Fatalf("%s: want one `listen 80;`", deployNginx)
	}
	site = strings.Replace(site, "listen 80;", "listen "+listen+";", 1)

	// Outside t.TempDir: the workers run as an unprivileged user when the
	// test runs as root, and must reach their temporary files.
	dir, err := os.MkdirTemp("", "mattranso-nginx-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mattranso.conf"), []byte(site), 0o644); err != nil {
		t.Fatal(err)
	}
	who := ""
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("nobody"); err == nil {
			who = "user nobody nogroup;\n"
		}
	}
	for _, d := range []string{"body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o777); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, d), 0o777)
	}
	main := fmt.Sprintf(`%sdaemon off;
worker_processes 2;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 2048; }
http {
	access_log off;
	client_body_temp_path %[2]s/body;
	proxy_temp_path %[2]s/proxy;
	fastcgi_temp_path %[2]s/fastcgi;
	uwsgi_temp_path %[2]s/uwsgi;
	scgi_temp_path %[2]s/scgi;
	include %[2]s/mattranso.conf;
}
`, who, dir)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, "-t", "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf).CombinedOutput(); err != nil {
		t.Fatalf("nginx -t: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-p", dir, "-e", filepath.Join(dir, "error.log"), "-c", conf)
	log := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	base = "http://" + listen
	errorLog = filepath.Join(dir, "error.log")
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			errlog, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s%s", err, log, errlog)
		default:
		}
		if code, _ := readyz(base); code == http.StatusOK {
			return base, errorLog
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx at %s does not answer /readyz", base)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// pgCluster is a PostgreSQL 15 cluster of the test's own, which it can
// stop and start.
type pgCluster struct {
	t          testing.TB
	data, sock string
	port       string
	asPostgres bool
}

// newCluster initialises and starts a cluster; without PostgreSQL 15's
// programs the test ends as testenv.Missing says.
func newCluster(t testing.TB) *pgCluster {
	t.Helper()
	if _, err := os.Stat(filepath.Join(pgBin, "initdb")); err != nil {
		testenv.Missing(t, "PostgreSQL 15 is not installed (%v); %s", err, testenv.HowToRun)
	}
	dir, err := os.MkdirTemp("", "mattranso-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	c := &pgCluster{t: t, data: filepath.Join(dir, "data"), sock: filepath.Join(dir, "socket"), asPostgres: os.Geteuid() == 0}
	for _, d := range []string{c.data, c.sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if c.asPostgres {
		u, err := user.Lookup("postgres")
		if err != nil {
			testenv.Missing(t, "no postgres user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, d := range []string{dir, c.data, c.sock} {
			if err := os.Chown(d, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "-N")
	_, port, _ := net.SplitHostPort(freeAddr(t))
	c.port = port
	c.start()
	t.Cleanup(func() { c.runQuiet("pg_ctl", "-D", c.data, "-m", "immediate", "-w", "stop") })
	return c
}

func (c *pgCluster) command(prog string, args ...string) *exec.Cmd {
	path := filepath.Join(pgBin, prog)
	if c.asPostgres {
		return exec.Command("runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *pgCluster) run(prog string, args ...string) {
	c.t.Helper()
	if out, err := c.command(prog, args...).CombinedOutput(); err != nil {
		c.t.Fatalf("%s %s: %v\n%s", prog, strings.Join(args, " "), err, out)
	}
}

func (c *pgCluster) runQuiet(prog string, args ...string) { _ = c.command(prog, args...).Run() }

// start starts the server and waits until it accepts connections.
func (c *pgCluster) start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.data, "-l", filepath.Join(c.data, "server.log"), "-w", "-t", "60", "-o",
		"-c listen_addresses=127.0.0.1 -p "+c.port+" -k "+c.sock+" -c max_connections=200 -c fsync=off -c full_page_writes=off", "start")
}

// stop stops the server as an administrator restarting it does: fast
// shutdown, every connection closed.
func (c *pgCluster) stop() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.data, "-m", "fast", "-w", "stop")
}

// database creates a database and returns its URL.
func (c *pgCluster) database(name string) string {
	c.t.Helper()
	c.run("createdb", "-h", "127.0.0.1", "-p", c.port, "-U", "postgres", name)
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", c.port, name)
}

// runBin runs `bin args…` with env and returns its standard output.
func runBin(t testing.TB, bin string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("mattranso %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}
