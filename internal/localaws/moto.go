// Package localaws starts the local stand-ins for AWS that the integration
// tests run against: moto's server for the AWS APIs and the Lambda Runtime
// Interface Emulator for the real rotation function binary. A missing tool
// is an error that says how to install it; tests fail on it rather than
// skip.
package localaws

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region and AccountID are what moto answers for.
const (
	Region    = "us-east-1"
	AccountID = "123456789012"
)

// motoCandidates are searched after $MOTO_SERVER and $PATH; the first is
// where the machine image installs moto.
var motoCandidates = []string{"/root/.pyenv/versions/3.11.7/bin/moto_server"}

// Moto is a moto server on a loopback port.
type Moto struct {
	// Endpoint is the base URL, e.g. http://127.0.0.1:41234.
	Endpoint string
	cmd      *exec.Cmd
	log      *bytes.Buffer
}

// FindMoto returns the path of moto_server or an error saying how to get it.
func FindMoto() (string, error) {
	if p := os.Getenv("MOTO_SERVER"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("moto_server"); err == nil {
		return p, nil
	}
	for _, p := range motoCandidates {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("moto_server not found: the integration tests need moto 5.2.1 (`pip install 'moto[server]==5.2.1'`); " +
		"put moto_server on PATH or set MOTO_SERVER to its path")
}

// StartMoto starts moto on a free loopback port, waits until it answers and
// turns off its Docker-based Lambda execution (no Docker engine runs here).
func StartMoto(ctx context.Context) (*Moto, error) {
	bin, err := FindMoto()
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	m := &Moto{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), log: &bytes.Buffer{}}
	m.cmd = exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	m.cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=false")
	m.cmd.Stdout, m.cmd.Stderr = m.log, m.log
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	if err := waitHTTP(ctx, m.Endpoint+"/moto-api/", 30*time.Second); err != nil {
		m.Close()
		return nil, fmt.Errorf("moto at %s did not start: %w; its output: %s", m.Endpoint, err, m.log.String())
	}
	if err := m.post(ctx, "/moto-api/config", `{"lambda":{"use_docker":false}}`); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

// Reset drops every resource moto holds.
func (m *Moto) Reset(ctx context.Context) error {
	return m.post(ctx, "/moto-api/reset", "")
}

func (m *Moto) post(ctx context.Context, path, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint+path, bytes.NewBufferString(body))
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("moto %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("moto %s: HTTP %d", path, resp.StatusCode)
	}
	return nil
}

// Config returns an AWS SDK configuration that talks to moto with test
// credentials.
func (m *Moto) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(m.Endpoint),
	}
}

// Env is the environment a process needs to reach moto through the AWS SDK.
func (m *Moto) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL=" + m.Endpoint,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=" + Region,
		"AWS_DEFAULT_REGION=" + Region,
	}
}

// Close stops moto.
func (m *Moto) Close() {
	stop(m.cmd)
}

// FreePort returns a loopback TCP port nobody listens on.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func stop(cmd *exec.Cmd) {
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Wait()
}

// ModuleRoot returns the directory of this repository's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := string(bytes.TrimSpace(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the module: go env GOMOD is empty")
	}
	return filepath.Dir(mod), nil
}
