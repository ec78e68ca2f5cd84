//! Links Wasmtime's C API into a static library for the wasibuild runner.
//! Every `wasm_*`, `wasi_*` and `wasmtime_*` symbol comes from the
//! dependency; this line only makes sure it is linked in.
extern crate wasmtime_c_api;
