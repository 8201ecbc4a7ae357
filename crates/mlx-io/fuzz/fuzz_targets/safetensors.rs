#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((arrays, _)) = mlx_io::safetensors::load_safetensors_bytes(data) {
        for a in arrays.values() {
            let _ = a.to_bytes();
        }
    }
});
