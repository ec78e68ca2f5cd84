//! Copies Wasmtime's C headers (with the generated `conf.h` that matches the
//! enabled features) to `<cargo target dir>/<profile>/include`.
//!
//! Why: `DEP_WASMTIME_C_API_INCLUDE` is only visible to this build script and
//! points into a hashed `out/` directory, so CMake cannot find it. The target
//! directory is the one place both sides know, and it may live outside the
//! build tree (WASIBUILD_CARGO_TARGET_DIR) so every build tree shares it.
use std::path::{Path, PathBuf};
use std::{env, fs, io};

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn main() -> io::Result<()> {
    let source = PathBuf::from(
        env::var("DEP_WASMTIME_C_API_INCLUDE").expect("wasmtime-c-api-impl sets its include dir"),
    );
    // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let profile_dir = out_dir.ancestors().nth(3).expect("OUT_DIR has the usual depth");
    let include = profile_dir.join("include");
    copy_tree(&source, &include)?;
    // A missing marker makes cargo re-run this script, so deleted headers come back.
    println!("cargo:rerun-if-changed={}", include.join("wasmtime.h").display());
    println!("cargo:rerun-if-changed=build.rs");
    Ok(())
}
