//! With the `ffi` feature, mlx-sys publishes MLX's library directory (`DEP_MLX_LIB_DIR`); it
//! goes into the rpath of this crate's tests and examples so they find `libmlx` at run time.
//! Without the feature the variable is unset and this does nothing.

fn main() {
    println!("cargo:rerun-if-env-changed=DEP_MLX_LIB_DIR");
    if let Ok(dir) = std::env::var("DEP_MLX_LIB_DIR") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
