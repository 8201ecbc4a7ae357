#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = mlx_io::GgufFile::from_bytes(data) {
        for t in &f.tensors {
            let _ = f.raw_data(t);
            if let Ok(a) = f.tensor(t) {
                let _ = a.to_bytes();
            }
        }
    }
});
