// Package infratest runs the Pulumi program in-process against mocks that
// answer like AWS would (ARNs of account 123456789012, provider-style ids, a
// crypto/rand value for RandomPassword) and record every registration, with
// its resource options, for the tests to inspect.
package infratest

import (
	"crypto/rand"
	"fmt"
	"maps"
	"math/big"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"github.com/auris/jwtsecret/rotation"
)

// AccountID is the account every mocked ARN is in.
const AccountID = "123456789012"

// CallerArn is what the mocked sts:GetCallerIdentity returns.
const CallerArn = "arn:aws:sts::" + AccountID + ":assumed-role/deployer/ci"

// Registered is one resource the program registered.
type Registered struct {
	Type    string
	Name    string
	URN     string
	ID      string
	Custom  bool
	Inputs  resource.PropertyMap
	Outputs resource.PropertyMap
	// RPC is the full registration: protect, dependencies, hooks,
	// ignoreChanges, retainOnDelete, ...
	RPC *pulumirpc.RegisterResourceRequest
}

// Mocks implements pulumi.MockResourceMonitor.
type Mocks struct {
	Project, Stack, Region string
	// Caller, when set, replaces CallerArn as the identity
	// sts:GetCallerIdentity reports.
	Caller string

	mu        sync.Mutex
	resources []*Registered
	calls     []string
}

// New returns mocks for project/stack in region.
func New(project, stack, region string) *Mocks {
	return &Mocks{Project: project, Stack: stack, Region: region}
}

// Resources returns the registrations so far, in order.
func (m *Mocks) Resources() []*Registered {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*Registered(nil), m.resources...)
}

// Calls returns the tokens of the invokes so far, in order.
func (m *Mocks) Calls() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.calls...)
}

// ByType returns the registrations of one type token.
func (m *Mocks) ByType(typ string) []*Registered {
	var out []*Registered
	for _, r := range m.Resources() {
		if r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

// ByURN returns the registration with that URN, or nil.
func (m *Mocks) ByURN(urn string) *Registered {
	for _, r := range m.Resources() {
		if r.URN == urn {
			return r
		}
	}
	return nil
}

// Call answers the invokes the program makes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args.Token)
	m.mu.Unlock()
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		caller := CallerArn
		if m.Caller != "" {
			caller = m.Caller
		}
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": AccountID,
			"arn":       caller,
			"id":        AccountID,
			"userId":    "AROAEXAMPLEDEPLOYER:ci",
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"name":        m.Region,
			"id":          m.Region,
			"endpoint":    "ec2." + m.Region + ".amazonaws.com",
			"description": "mocked region " + m.Region,
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"partition": "aws", "id": "aws", "dnsSuffix": "amazonaws.com", "reverseDnsPrefix": "com.amazonaws",
		}), nil
	}
	return nil, fmt.Errorf("infratest: no mock for invoke %s", args.Token)
}

// NewResource answers a registration with the id and outputs the provider
// would return, and records it.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	in := args.Inputs
	out := in.Copy()
	str := func(k string) string {
		v, ok := in[resource.PropertyKey(k)]
		for ok && v.IsSecret() {
			v = v.SecretValue().Element
		}
		if !ok || !v.IsString() {
			return ""
		}
		return v.StringValue()
	}
	set := func(k string, v any) { out[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	arn := func(service, res string) string {
		return "arn:aws:" + service + ":" + m.Region + ":" + AccountID + ":" + res
	}
	globalArn := func(service, res string) string { return "arn:aws:" + service + "::" + AccountID + ":" + res }

	var id string
	switch args.TypeToken {
	case "random:index/randomPassword:RandomPassword":
		length := int(in["length"].NumberValue())
		value, err := rotation.GenerateValue(length)
		if err != nil {
			return "", nil, fmt.Errorf("infratest: RandomPassword of length %d: %w", length, err)
		}
		id = "none"
		set("result", value)
		set("bcryptHash", "$2a$10$"+randomToken(53))
	case "aws:secretsmanager/secret:Secret":
		id = arn("secretsmanager", "secret:"+str("name")+"-"+randomToken(6))
		set("arn", id)
		set("tagsAll", in["tags"].Mappable())
		// DescribeSecret's ReplicationStatus: replicas without a key of
		// their own are encrypted with aws/secretsmanager.
		if v, ok := in["replicas"]; ok && v.IsArray() {
			var replicas []any
			for _, r := range v.ArrayValue() {
				replica := r.ObjectValue().Mappable()
				if _, ok := replica["kmsKeyId"]; !ok {
					replica["kmsKeyId"] = "alias/aws/secretsmanager"
				}
				replica["status"] = "InSync"
				replica["statusMessage"] = "Replication succeeded"
				replicas = append(replicas, replica)
			}
			set("replicas", replicas)
		}
	case "aws:secretsmanager/secretPolicy:SecretPolicy":
		// The provider uses the secret's ARN as the policy's id.
		id = str("secretArn")
	case "aws:kms/key:Key":
		id = newUUID()
		set("arn", arn("kms", "key/"+id))
		set("keyId", id)
		set("multiRegion", false)
		set("rotationPeriodInDays", 365)
		set("tagsAll", in["tags"].Mappable())
	case "aws:kms/alias:Alias":
		id = str("name")
		set("arn", arn("kms", id))
		set("targetKeyArn", arn("kms", "key/"+str("targetKeyId")))
	case "aws:sns/topic:Topic":
		id = arn("sns", str("name"))
		set("arn", id)
		set("owner", AccountID)
		set("tagsAll", in["tags"].Mappable())
	case "aws:sns/topicPolicy:TopicPolicy":
		id = str("arn")
		set("owner", AccountID)
	case "aws:sns/topicSubscription:TopicSubscription":
		id = str("topic") + ":" + newUUID()
		set("arn", id)
		set("ownerId", AccountID)
		// Email subscriptions wait for the address to confirm.
		set("pendingConfirmation", str("protocol") == "email")
		set("confirmationWasAuthenticated", false)
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		id = str("name")
		set("arn", arn("cloudwatch", "alarm:"+id))
		set("tagsAll", in["tags"].Mappable())
	case "aws:cloudwatch/eventRule:EventRule":
		id = str("name")
		set("arn", arn("events", "rule/"+id))
		set("eventBusName", "default")
		set("state", "ENABLED")
		set("tagsAll", in["tags"].Mappable())
	case "aws:cloudwatch/eventTarget:EventTarget":
		id = str("rule") + "-" + str("targetId")
		set("eventBusName", "default")
	case "aws:secretsmanager/secretVersion:SecretVersion":
		versionID := newUUID()
		id = str("secretId") + "|" + versionID
		set("arn", str("secretId"))
		set("versionId", versionID)
		set("versionStages", []any{"AWSCURRENT"})
	case "aws:secretsmanager/secretRotation:SecretRotation":
		id = str("secretId")
		set("rotationEnabled", true)
	case "aws:cloudwatch/logGroup:LogGroup":
		id = str("name")
		// The provider strips the ":*" the API appends.
		set("arn", arn("logs", "log-group:"+id))
		set("tagsAll", in["tags"].Mappable())
	case "aws:iam/role:Role":
		id = str("name")
		set("arn", globalArn("iam", "role/"+id))
		set("uniqueId", "AROA"+strings.ToUpper(randomToken(17)))
		set("tagsAll", in["tags"].Mappable())
	case "aws:iam/rolePolicy:RolePolicy":
		id = str("role") + ":" + str("name")
	case "aws:iam/policy:Policy":
		id = globalArn("iam", "policy/"+str("name"))
		set("arn", id)
		set("policyId", "ANPA"+strings.ToUpper(randomToken(17)))
		set("tagsAll", in["tags"].Mappable())
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		id = str("role") + "-" + randomToken(26)
	case "aws:lambda/function:Function":
		id = str("name")
		set("arn", arn("lambda", "function:"+id))
		set("qualifiedArn", arn("lambda", "function:"+id+":$LATEST"))
		set("invokeArn", "arn:aws:apigateway:"+m.Region+":lambda:path/2015-03-31/functions/"+arn("lambda", "function:"+id)+"/invocations")
		set("version", "$LATEST")
		set("codeSha256", str("sourceCodeHash"))
		set("tagsAll", in["tags"].Mappable())
	case "aws:lambda/permission:Permission":
		id = str("statementId")
	case "":
		return "", nil, fmt.Errorf("infratest: registration without a type")
	default:
		if args.Custom {
			return "", nil, fmt.Errorf("infratest: no mock for resource type %s", args.TypeToken)
		}
		// Components have no provider: their outputs are registered later.
	}

	// The engine marks AdditionalSecretOutputs secret; so must the mock,
	// or the tests would not see what state really holds.
	if args.RegisterRPC != nil {
		for _, k := range args.RegisterRPC.GetAdditionalSecretOutputs() {
			if v, ok := out[resource.PropertyKey(k)]; ok && !v.IsSecret() {
				out[resource.PropertyKey(k)] = resource.MakeSecret(v)
			}
		}
	}

	reg := &Registered{
		Type:    args.TypeToken,
		Name:    args.Name,
		URN:     m.urn(args),
		ID:      id,
		Custom:  args.Custom,
		Inputs:  in,
		Outputs: out,
		RPC:     args.RegisterRPC,
	}
	m.mu.Lock()
	m.resources = append(m.resources, reg)
	m.mu.Unlock()
	return id, out, nil
}

// urn computes the URN the mock monitor gives the resource, so that
// dependencies (URNs) can be matched to registrations.
func (m *Mocks) urn(args pulumi.MockResourceArgs) string {
	parentType := tokens.Type("")
	if args.RegisterRPC != nil {
		if p := resource.URN(args.RegisterRPC.GetParent()); p != "" && p.QualifiedType() != resource.RootStackType {
			parentType = p.QualifiedType()
		}
	}
	return string(resource.NewURN(tokens.QName(m.Stack), tokens.PackageName(m.Project), parentType,
		tokens.Type(args.TypeToken), args.Name))
}

// Config returns a RunOption that sets the stack configuration, the way the
// CLI passes it to the program.
func Config(cfg map[string]string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = maps.Clone(cfg)
	}
}

const tokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomToken(n int) string {
	var b strings.Builder
	for range n {
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(tokenAlphabet))))
		if err != nil {
			panic(err)
		}
		b.WriteByte(tokenAlphabet[i.Int64()])
	}
	return b.String()
}

func newUUID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
