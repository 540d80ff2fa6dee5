package keeper

// Exported for the keeper_test package.
var NextDueEpoch = nextDueEpoch

// MaxIssuesPerBlock is maxIssuesPerBlock, for the keeper_test package.
const MaxIssuesPerBlock = maxIssuesPerBlock
