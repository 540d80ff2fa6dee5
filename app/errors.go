package app

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/baseapp"
	sdk "github.com/cosmos/cosmos-sdk/types"
)

// simulateWithoutSource returns simulate with its errors stripped of the
// source frame that cosmossdk.io/errors attaches: the SDK's tx service
// (x/auth/tx Simulate, what `--gas auto` calls) formats the error with %v,
// and errorsmod's %v appends " [file:line]" of where the error was created
// — a path on the build machine, or the module path under -trimpath. The
// message, the codespace and the code are kept.
func simulateWithoutSource(simulate func([]byte) (sdk.GasInfo, *sdk.Result, error)) func([]byte) (sdk.GasInfo, *sdk.Result, error) {
	return func(txBytes []byte) (sdk.GasInfo, *sdk.Result, error) {
		gas, res, err := simulate(txBytes)
		if err != nil {
			err = withoutSource(err)
		}
		return gas, res, err
	}
}

// sourcelessError is an error whose %v is its message: it has no
// fmt.Formatter. It keeps the ABCI codespace and code of the error it
// replaces and unwraps to it, so errors.Is and errorsmod.ABCIInfo still see
// the registered error.
type sourcelessError struct {
	err       error
	codespace string
	code      uint32
}

func withoutSource(err error) error {
	codespace, code, _ := errorsmod.ABCIInfo(err, false)
	return &sourcelessError{err: err, codespace: codespace, code: code}
}

func (e *sourcelessError) Error() string     { return e.err.Error() }
func (e *sourcelessError) Unwrap() error     { return e.err }
func (e *sourcelessError) Codespace() string { return e.codespace }
func (e *sourcelessError) ABCICode() uint32  { return e.code }

// queryRouter registers Query services — the modules', the tx service's
// (simulate), CometBFT's and the node's — on the BaseApp's router with
// their status errors made to read once. A query that reaches
// a module over ABCI (the CLI without --grpc-addr, REST) had its status
// error printed twice: BaseApp wraps err.Error() — already "rpc error:
// code = NotFound desc = …" — into a registered error, and the client
// turns that log into a status error again. The wrapped handlers return
// the same status, whose Error() is only its message, so the client prints
// "rpc error: code = NotFound desc = pool …: key not found" once; the gRPC
// port still sees the same code and message.
type queryRouter struct{ *baseapp.GRPCQueryRouter }

// RegisterService registers a copy of sd whose method handlers map status
// errors to statusMessageError.
func (r queryRouter) RegisterService(sd *grpc.ServiceDesc, handler any) {
	wrapped := *sd
	wrapped.Methods = make([]grpc.MethodDesc, len(sd.Methods))
	for i, m := range sd.Methods {
		inner := m.Handler
		m.Handler = func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			res, err := inner(srv, ctx, dec, interceptor)
			// Only a plain status error (its text is the status' own
			// "rpc error: …") is replaced; registered errors read once already.
			if st, ok := status.FromError(err); err != nil && ok && err.Error() == st.Err().Error() {
				err = statusMessageError{st}
			}
			return res, err
		}
		wrapped.Methods[i] = m
	}
	r.GRPCQueryRouter.RegisterService(&wrapped, handler)
}

// statusMessageError is a gRPC status whose Error() is only its message.
type statusMessageError struct{ st *status.Status }

func (e statusMessageError) Error() string { return e.st.Message() }

// GRPCStatus returns the status, for status.FromError and the gRPC server.
func (e statusMessageError) GRPCStatus() *status.Status { return e.st }
