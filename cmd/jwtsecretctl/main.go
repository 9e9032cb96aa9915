// Command jwtsecretctl operates the rotating JWT signing secret: status,
// rotate and revoke-previous. Run `jwtsecretctl help` for usage and exit
// codes; the logic is in internal/ops.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/auris/jwtsecret/internal/ops"
)

func main() {
	// Ctrl-C cancels the AWS call in flight instead of killing the process
	// mid-write; the command then exits non-zero.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := ops.Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, ops.NewAWSClient)
	stop()
	os.Exit(code)
}
