// Command rotator is the rotation Lambda of the JWT signing secret. Build it
// as `bootstrap` for the provided.al2023 runtime:
//
//	CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build -trimpath -tags lambda.norpc -o bootstrap ./cmd/rotator
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/auris/jwtsecret/rotation"
)

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	length, err := rotation.ParseLength(os.Getenv(rotation.LengthEnv))
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	// AWS_REGION, credentials and (in tests) AWS_ENDPOINT_URL come from the
	// Lambda environment.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Error("loading AWS configuration", "error", err.Error())
		os.Exit(1)
	}
	r, err := rotation.New(secretsmanager.NewFromConfig(cfg), length, log)
	if err != nil {
		log.Error("invalid configuration", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(r.Handle)
}
