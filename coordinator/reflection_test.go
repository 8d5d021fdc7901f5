package coordinator

import (
	"context"
	"slices"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
)

// reflect opens a reflection stream with the token (none: "") and asks one question.
func reflect(t *testing.T, addr, token string, req *reflectionpb.ServerReflectionRequest) (*reflectionpb.ServerReflectionResponse, error) {
	t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if token != "" {
		opts = append(opts, grpc.WithPerRPCCredentials(bearerToken{token: token}))
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(context.Background())
	if err != nil {
		return nil, err
	}
	if err := stream.Send(req); err != nil {
		return nil, err
	}
	defer stream.CloseSend()
	return stream.Recv()
}

// TestReflectionListsServices lists the services through server reflection, as grpcurl
// list does, and resolves the Coordinator service's methods from the descriptors it
// serves; without the token reflection is refused like every other call.
func TestReflectionListsServices(t *testing.T) {
	ts := startServer(t, nil)
	resp, err := reflect(t, ts.addr, testToken, &reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
	if err != nil {
		t.Fatalf("list services: %v", err)
	}
	var services []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		services = append(services, s.GetName())
	}
	for _, want := range []string{"critsweep.v1.Coordinator", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"} {
		if !slices.Contains(services, want) {
			t.Errorf("services %v: %s is missing", services, want)
		}
	}

	resp, err = reflect(t, ts.addr, testToken, &reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{FileContainingSymbol: "critsweep.v1.Coordinator"}})
	if err != nil {
		t.Fatalf("file containing critsweep.v1.Coordinator: %v", err)
	}
	var methods []string
	for _, raw := range resp.GetFileDescriptorResponse().GetFileDescriptorProto() {
		fd := new(descriptorpb.FileDescriptorProto)
		if err := proto.Unmarshal(raw, fd); err != nil {
			t.Fatal(err)
		}
		for _, svc := range fd.GetService() {
			if svc.GetName() == "Coordinator" {
				for _, m := range svc.GetMethod() {
					methods = append(methods, m.GetName())
				}
			}
		}
	}
	for _, want := range []string{"SubmitSweep", "SearchResults", "GetTask", "ListWorkers", "LeaseTask"} {
		if !slices.Contains(methods, want) {
			t.Errorf("Coordinator's methods by reflection %v: %s is missing", methods, want)
		}
	}

	_, err = reflect(t, ts.addr, "", &reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{ListServices: "*"}})
	wantCode(t, "reflection without token", err, codes.Unauthenticated, nil)
}
