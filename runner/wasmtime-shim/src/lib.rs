//! Links Wasmtime's C API into a static library for the wasibuild runner.
//! Every `wasm_*`, `wasi_*` and `wasmtime_*` symbol comes from the
//! dependency; `wasibuild_*` symbols are the few the C API lacks, each a
//! narrow function over the C API's own types (network.rs, threads.rs).
extern crate wasmtime_c_api;

mod network;
mod threads;
