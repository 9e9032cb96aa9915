package localaws

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// RIEVersion is the Lambda Runtime Interface Emulator the tests use; the
// Makefile installs exactly this one.
const RIEVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// runtimeAPIAddr is the runtime API address the emulator always binds.
const runtimeAPIAddr = "127.0.0.1:9001"

// Emulator is the Lambda Runtime Interface Emulator running one function.
type Emulator struct {
	// URL is the invocation endpoint.
	URL string
	cmd *exec.Cmd
	out *lockedBuffer
}

// FindEmulator returns the path of aws-lambda-rie or an error saying how to
// install it.
func FindEmulator() (string, error) {
	if p := os.Getenv("AWS_LAMBDA_RIE"); p != "" {
		return p, nil
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p, nil
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(string(bytes.TrimSpace(out)), "bin", "aws-lambda-rie")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("aws-lambda-rie not found: run `make tools` (go install " +
		"github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@" + RIEVersion +
		") or set AWS_LAMBDA_RIE to its path")
}

// StartEmulator runs the function binary bootstrap under the emulator with
// env added to the environment. Everything the function prints is kept (see
// Output). Only one emulator can run at a time: it always binds port 9001.
func StartEmulator(ctx context.Context, bootstrap string, env []string) (*Emulator, error) {
	bin, err := FindEmulator()
	if err != nil {
		return nil, err
	}
	if l, err := net.Listen("tcp", runtimeAPIAddr); err != nil {
		return nil, fmt.Errorf("the emulator needs %s, which is taken (another emulator still running?): %w", runtimeAPIAddr, err)
	} else {
		l.Close()
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	e := &Emulator{URL: "http://" + addr + "/2015-03-31/functions/function/invocations", out: &lockedBuffer{}}
	e.cmd = exec.Command(bin, "--runtime-interface-emulator-address", addr, bootstrap)
	e.cmd.Env = append(append(os.Environ(), env...), "AWS_LAMBDA_FUNCTION_TIMEOUT=30")
	e.cmd.Stdout, e.cmd.Stderr = e.out, e.out
	e.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := e.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	if err := waitTCP(ctx, addr, 10*time.Second); err != nil {
		e.Close()
		return nil, fmt.Errorf("emulator at %s did not start: %w; its output: %s", addr, err, e.out.String())
	}
	return e, nil
}

// FunctionError is the error a function invocation returned.
type FunctionError struct {
	Type    string `json:"errorType"`
	Message string `json:"errorMessage"`
}

func (e *FunctionError) Error() string { return e.Type + ": " + e.Message }

// Invoke sends payload to the function. A function error is returned as a
// *FunctionError.
func (e *Emulator) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking the function: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the function's response: %w", err)
	}
	var fe FunctionError
	if resp.StatusCode != http.StatusOK || (json.Unmarshal(body, &fe) == nil && fe.Type != "") {
		if fe.Type == "" {
			fe.Type, fe.Message = "HTTP "+strconv.Itoa(resp.StatusCode), string(body)
		}
		return body, &fe
	}
	return body, nil
}

// Output is everything the emulator and the function printed so far.
func (e *Emulator) Output() string { return e.out.String() }

// Close stops the emulator and the function.
func (e *Emulator) Close() { stop(e.cmd) }

func waitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(10 * time.Millisecond):
		}
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
