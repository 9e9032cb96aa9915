package infra

import (
	"encoding/json"
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/sns"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/auris/jwtsecret/naming"
)

// The rotation errors alarm: one error of the rotation function in a
// five-minute period is enough to alert. A rotation is a handful of
// invocations months apart, so there is no noise to average out, and
// Secrets Manager's retries would otherwise hide a failing step. No data
// (no rotation running, nearly always) is not an alarm.
const (
	alarmPeriodSeconds   = 300
	alarmThreshold       = 1
	alarmEvaluationCount = 1
)

// rotationFailureEvents are the Secrets Manager events, delivered by
// CloudTrail to EventBridge (detail-type "AWS Service Event via CloudTrail"),
// that mean a rotation did not complete: RotationFailed (a rotation of the
// secret failed), RotationAbandoned (Secrets Manager dropped a pending
// rotation because a new version was written meanwhile, e.g. by a
// regeneration) and TestRotationFailed (not in AWS's list of rotation
// events we could check, but matched by public alerting setups: the failed
// validation run when rotation is enabled without rotating immediately, as
// the program does; matching a name that never comes costs nothing).
var rotationFailureEvents = []string{"RotationFailed", "RotationAbandoned", "TestRotationFailed"}

// rotationFailedEventPattern matches the rotation failure events of the
// secret secretArn only. These service events carry no "resources"; the
// secret's ARN is in detail.additionalEventData.SecretId.
func rotationFailedEventPattern(secretArn string) (string, error) {
	pattern := map[string]any{
		"source":      []string{"aws.secretsmanager"},
		"detail-type": []string{"AWS Service Event via CloudTrail"},
		"detail": map[string]any{
			"eventSource":         []string{"secretsmanager.amazonaws.com"},
			"eventName":           rotationFailureEvents,
			"additionalEventData": map[string]any{"SecretId": []string{secretArn}},
		},
	}
	b, err := json.Marshal(pattern)
	if err != nil {
		return "", fmt.Errorf("rendering the event pattern: %w", err)
	}
	return string(b), nil
}

// newAlerts sends failed rotations to an SNS topic, from two sources that
// catch different failures: a CloudWatch alarm on the rotation function's
// Errors (the function failed a step, even if a retry later succeeds) and an
// EventBridge rule for the secret's rotation failure events (Secrets Manager
// gave up, including failures outside the function such as a missing invoke
// permission). CloudTrail delivers the events on a best-effort basis; the
// alarm does not depend on it. alarmEmail, when set, subscribes an address.
// It returns the topic's ARN.
//
// The topic is not encrypted: CloudWatch alarms and EventBridge can publish
// to an encrypted topic only with a customer managed key whose policy lets
// them use it, and the messages carry no secret (event metadata, the alarm's
// state).
func newAlerts(ctx *pulumi.Context, c *JwtSecret, name string, args *JwtSecretArgs, tags pulumi.StringMap,
	secretArn pulumi.StringOutput, fn *lambda.Function, accountID string,
) (pulumi.StringOutput, error) {
	topic, err := sns.NewTopic(ctx, name+"-alerts", &sns.TopicArgs{
		Name:        pulumi.String(naming.AlertTopicName(args.Stage)),
		DisplayName: pulumi.Sprintf("JWT secret %s", args.Stage),
		Tags:        tags,
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating the alert topic: %w", err)
	}

	alarm, err := cloudwatch.NewMetricAlarm(ctx, name+"-rotation-errors", &cloudwatch.MetricAlarmArgs{
		Name:               pulumi.String(naming.RotationErrorsAlarmName(args.Stage)),
		AlarmDescription:   pulumi.Sprintf("The rotation function of %s returned an error; see the README, Operations", naming.SecretName(args.Stage)),
		Namespace:          pulumi.String("AWS/Lambda"),
		MetricName:         pulumi.String("Errors"),
		Dimensions:         pulumi.StringMap{"FunctionName": fn.Name},
		Statistic:          pulumi.String("Sum"),
		Period:             pulumi.Int(alarmPeriodSeconds),
		EvaluationPeriods:  pulumi.Int(alarmEvaluationCount),
		Threshold:          pulumi.Float64(alarmThreshold),
		ComparisonOperator: pulumi.String("GreaterThanOrEqualToThreshold"),
		TreatMissingData:   pulumi.String("notBreaching"),
		AlarmActions:       pulumi.Array{topic.Arn},
		Tags:               tags,
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating the rotation errors alarm: %w", err)
	}

	rule, err := cloudwatch.NewEventRule(ctx, name+"-rotation-failed", &cloudwatch.EventRuleArgs{
		Name:         pulumi.String(naming.RotationFailedRuleName(args.Stage)),
		Description:  pulumi.Sprintf("Failed rotations of %s", naming.SecretName(args.Stage)),
		EventPattern: secretArn.ApplyT(rotationFailedEventPattern).(pulumi.StringOutput),
		Tags:         tags,
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating the rotation failed rule: %w", err)
	}

	policy, err := sns.NewTopicPolicy(ctx, name+"-alerts-policy", &sns.TopicPolicyArgs{
		Arn: topic.Arn,
		Policy: pulumi.All(topic.Arn, alarm.Arn, rule.Arn).ApplyT(func(arns []any) (string, error) {
			return alertTopicPolicy(arns[0].(string), accountID, arns[1].(string), arns[2].(string))
		}).(pulumi.StringOutput),
	}, pulumi.Parent(c))
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("creating the alert topic's policy: %w", err)
	}

	// The target waits for the topic policy: before it, EventBridge could
	// not deliver a matching event.
	if _, err := cloudwatch.NewEventTarget(ctx, name+"-rotation-failed-alert", &cloudwatch.EventTargetArgs{
		Rule:     rule.Name,
		TargetId: pulumi.String("alert-topic"),
		Arn:      topic.Arn,
	}, pulumi.Parent(c), pulumi.DependsOn([]pulumi.Resource{policy})); err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("sending failed rotations to the alert topic: %w", err)
	}

	// An email subscription stays pending until the address confirms it
	// (SNS mails a link); until then nothing is delivered to it.
	if args.AlarmEmail != "" {
		if _, err := sns.NewTopicSubscription(ctx, name+"-alerts-email", &sns.TopicSubscriptionArgs{
			Topic:    topic.Arn,
			Protocol: pulumi.String("email"),
			Endpoint: pulumi.String(args.AlarmEmail),
		}, pulumi.Parent(c)); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("subscribing %s to the alert topic: %w", KeyAlarmEmail, err)
		}
	}
	return topic.Arn, nil
}
