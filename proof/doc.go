// Package proof is the normative, pure-Go definition of the PoCPS proofs
// (x/pocps/README.md): the seal (SDR-style layered labeling with Merkle
// commitments), the setup proof that the seal was computed correctly, the
// residency challenge (data-dependent walks over the sealed layer), and the
// throughput challenge (seal-gathered int8 GEMM audited with Freivalds'
// check over p = 2^61−1).
//
// It is deterministic and cgo-free: the chain imports it to re-check the
// bounded proof samples in MsgSubmitChallengeResult, the verifier sidecar to
// audit devices, and the gpu package's provers compute exactly the values it
// defines (the CUDA path must match it bit for bit). docs/pocps.md gives the
// byte-exact format; every hash input here is written out there.
//
// All hashes are SHA-256 with a domain tag ("loopin/pocps/v1/<purpose>") as
// the first bytes of the input, so that no value of one purpose can be
// replayed as another. Integers are big-endian unless a field says otherwise
// (GEMM results are little-endian int32, the layout a GPU writes).
package proof
