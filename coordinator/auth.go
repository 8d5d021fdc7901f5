package coordinator

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// healthPrefix names the methods of the gRPC health service, which answer without a
// token so that probes (Kubernetes, load balancers) need no secret.
const healthPrefix = "/grpc.health.v1.Health/"

// bearerAuth checks the "authorization: Bearer TOKEN" metadata of every call against one
// token, in constant time.
type bearerAuth struct {
	want [sha256.Size]byte
}

func newBearerAuth(token string) *bearerAuth {
	return &bearerAuth{want: sha256.Sum256([]byte(token))}
}

// check returns an Unauthenticated status unless ctx carries the token. Comparing the
// hashes keeps the time independent of where the tokens differ and of their lengths.
func (a *bearerAuth) check(ctx context.Context, method string) error {
	if strings.HasPrefix(method, healthPrefix) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	values := md.Get("authorization")
	if len(values) == 0 {
		return status.Error(codes.Unauthenticated, "missing bearer token: pass the coordinator's token (--token-file)")
	}
	scheme, token, ok := strings.Cut(values[0], " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return status.Error(codes.Unauthenticated, "authorization must be \"Bearer TOKEN\"")
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	if subtle.ConstantTimeCompare(got[:], a.want[:]) != 1 {
		return status.Error(codes.Unauthenticated, "invalid bearer token")
	}
	return nil
}

func (a *bearerAuth) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := a.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (a *bearerAuth) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := a.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}

// recovery turns a panic in a handler into an Internal status (logged with its stack),
// so that no panic crosses the boundary and brings the coordinator down.
type recovery struct {
	log *slog.Logger
}

func (r recovery) recovered(method string, p any) error {
	r.log.Error("panic in handler", "method", method, "panic", p, "stack", string(debug.Stack()))
	return status.Errorf(codes.Internal, "internal error in %s", method)
}

func (r recovery) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
	defer func() {
		if p := recover(); p != nil {
			resp, err = nil, r.recovered(info.FullMethod, p)
		}
	}()
	return handler(ctx, req)
}

func (r recovery) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = r.recovered(info.FullMethod, p)
		}
	}()
	return handler(srv, ss)
}

// bearerToken is the client side: per-RPC credentials that send the token.
type bearerToken struct {
	token  string
	secure bool
}

func (b bearerToken) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + b.token}, nil
}

func (b bearerToken) RequireTransportSecurity() bool { return b.secure }
