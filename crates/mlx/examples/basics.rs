//! The first tour: lazy arrays, broadcasting, matmul and softmax on real numbers.
//!
//! Run: `cargo run --release -p mlx --example basics`
//!
//! Data: monthly mean temperatures (°C) of three cities (Oslo, Madrid, Singapore; climate
//! normals, rounded). We standardize them with broadcasting, compare cities with a matmul of
//! their profiles, and turn the similarities into softmax attention weights.

use mlx::core as mx;
use mlx::prelude::*;

fn main() -> Result<()> {
    let temps: [f32; 36] = [
        -4.3, -4.0, -0.2, 4.5, 10.8, 15.2, 16.4, 15.2, 10.8, 6.3, 0.7, -3.1, // Oslo
        6.3, 7.9, 11.2, 12.9, 16.7, 22.2, 25.6, 25.1, 20.9, 15.1, 9.9, 6.9, // Madrid
        26.5, 27.1, 27.5, 28.0, 28.3, 28.3, 27.9, 27.9, 27.6, 27.6, 26.9, 26.4, // Singapore
    ];
    let cities = ["Oslo", "Madrid", "Singapore"];
    let x = Tensor::from_slice(&temps, &[3, 12])?;

    // Lazy: these lines only build a graph; shapes and dtypes are already known.
    let mean = mx::mean(&x, -1, true)?; // (3, 1)
    let std = mx::std(&x, -1, true, 0)?; // (3, 1)
    let z = mx::divide(&mx::subtract(&x, &mean)?, &std)?; // broadcast (3,12) - (3,1)
    let similarity = mx::divide(&mx::matmul(&z, &mx::transpose(&z, Axes::All)?)?, 12.0)?; // (3, 3)
    let attention = mx::softmax(&(&similarity * 4.0), -1)?;
    println!("built a graph: attention has shape {:?}, dtype {}, evaluated: {}", attention.shape(), attention.dtype(), attention.is_evaluated());

    mx::eval(&[&mean, &attention])?;
    println!("\nmean temperature per city (°C):\n{mean}");
    println!("\nseasonal correlation of the standardized profiles (z @ z.T / 12):\n{similarity}");
    println!("\nsoftmax(4 * correlation) row by row:\n{attention}");
    let nearest = mx::argmax(&mx::subtract(&similarity, &mx::multiply(&mx::eye(3, None, 0, None)?, 10.0)?)?, -1, false)?;
    for (i, j) in nearest.to_vec::<u32>()?.iter().enumerate() {
        println!("{:>9}'s seasons look most like {}'s", cities[i], cities[*j as usize]);
    }
    println!("\nactive memory: {} bytes", mx::active_memory());
    Ok(())
}
