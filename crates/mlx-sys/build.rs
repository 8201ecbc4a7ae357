//! Builds the C++ shim against MLX when the `ffi` feature is on; does nothing otherwise.
//!
//! MLX is found through `MLX_DIR` (a directory holding `include/mlx` and `lib/libmlx.so`, e.g.
//! the `mlx` Python package directory), or else by asking Python (`MLX_PYTHON`, default
//! `python3`) for `mlx.__path__[0]`. The library directory goes to the linker, into the rpath
//! of this crate's own tests, and to dependents as `DEP_MLX_LIB_DIR`.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/shim.cpp");
    println!("cargo:rerun-if-env-changed=MLX_DIR");
    println!("cargo:rerun-if-env-changed=MLX_PYTHON");
    #[cfg(feature = "ffi")]
    ffi::build();
}

#[cfg(feature = "ffi")]
mod ffi {
    use std::path::PathBuf;
    use std::process::Command;

    fn mlx_dir() -> Result<PathBuf, String> {
        if let Some(dir) = std::env::var_os("MLX_DIR") {
            return Ok(PathBuf::from(dir));
        }
        let python = std::env::var("MLX_PYTHON").unwrap_or_else(|_| "python3".to_string());
        let out = Command::new(&python)
            .args(["-c", "import mlx, os; print(mlx.__path__[0])"])
            .output()
            .map_err(|e| format!("could not run {python}: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{python} could not import mlx ({}); pip install \"mlx[cpu]==0.32.4\" or set MLX_DIR",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    }

    pub fn build() {
        let dir = match mlx_dir() {
            Ok(d) => d,
            Err(e) => {
                eprintln!("mlx-sys: {e}");
                std::process::exit(1);
            }
        };
        let include = dir.join("include");
        let lib = dir.join("lib");
        if !include.join("mlx").join("mlx.h").exists() {
            eprintln!("mlx-sys: no include/mlx/mlx.h under {}", dir.display());
            std::process::exit(1);
        }
        cc::Build::new()
            .cpp(true)
            .std("c++20")
            .include(&include)
            .file("src/shim.cpp")
            .warnings(false)
            .compile("mlx_shim");
        println!("cargo:rustc-link-search=native={}", lib.display());
        println!("cargo:rustc-link-lib=dylib=mlx");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
        println!("cargo:lib_dir={}", lib.display());
    }
}
