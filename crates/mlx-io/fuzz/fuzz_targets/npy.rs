#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = mlx_io::npy::from_bytes(data) {
        let _ = a.to_bytes();
    }
});
