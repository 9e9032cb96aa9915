// Command jwtsecret is the Pulumi program of the JWT signing secret: it reads
// the stack configuration, declares one infra.JwtSecret and exports its
// outputs.
package main

import (
	"fmt"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/auris/jwtsecret/infra"
)

func main() {
	pulumi.Run(run)
}

func run(ctx *pulumi.Context) error {
	args, err := infra.ParseArgs(ctx.Project(), ctx.Stack(), ctx.GetConfig)
	if err != nil {
		return fmt.Errorf("reading the configuration of stack %s: %w", ctx.Stack(), err)
	}
	jwt, err := infra.NewJwtSecret(ctx, "jwt", args)
	if err != nil {
		return err
	}
	for name, value := range jwt.Outputs() {
		ctx.Export(name, value)
	}
	return nil
}
