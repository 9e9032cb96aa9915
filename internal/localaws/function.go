package localaws

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// RegisterPlaceholderFunction creates, in moto, an execution role and a
// Lambda function called name whose code is a placeholder, and returns the
// function's ARN. RotateSecret needs the ARN of a function that exists
// (moto bugs 3 and 5 in the local-AWS notes) but, without Docker, never
// runs its code: tests that drive the rotation steps in-process only need
// the ARN. Call it again after Reset.
func (m *Moto) RegisterPlaceholderFunction(ctx context.Context, name string) (string, error) {
	cfg := m.Config()
	role, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(name),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`),
	})
	if err != nil {
		return "", fmt.Errorf("creating role %s in moto: %w", name, err)
	}
	code, err := placeholderZip()
	if err != nil {
		return "", err
	}
	fn, err := lambda.NewFromConfig(cfg).CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Role:          role.Role.Arn,
		Runtime:       lambdatypes.RuntimeProvidedal2023,
		Handler:       aws.String("bootstrap"),
		Code:          &lambdatypes.FunctionCode{ZipFile: code},
		Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureX8664},
	})
	if err != nil {
		return "", fmt.Errorf("creating function %s in moto: %w", name, err)
	}
	return aws.ToString(fn.FunctionArn), nil
}

// placeholderZip is a deployment package whose only entry, bootstrap, is a
// shell script that fails: it is never run.
func placeholderZip() ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	f, err := w.CreateHeader(h)
	if err == nil {
		_, err = f.Write([]byte("#!/bin/sh\necho 'placeholder function: not runnable' >&2\nexit 1\n"))
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("zipping the placeholder function: %w", err)
	}
	return buf.Bytes(), nil
}
