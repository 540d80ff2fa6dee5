package proof

// MulMod61 exposes mulmod61 to the tests.
var MulMod61 = mulmod61
