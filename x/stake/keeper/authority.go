package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/loopin-project/loopin/x/stake/types"
)

// checkAuthority refuses a governance Msg whose authority is not the
// module's (or the consensus params' authority, when set), with
// sdk.ValidateAuthority. Errors: ErrInvalidSigner.
func (k Keeper) checkAuthority(ctx context.Context, authority string) error {
	if err := sdk.ValidateAuthority(sdk.UnwrapSDKContext(ctx), k.authority, authority); err != nil {
		return errorsmod.Wrap(types.ErrInvalidSigner, err.Error())
	}
	return nil
}
