//! Learning-rate schedules (MLX's `mlx.optimizers.schedulers`): functions of the step count
//! (0 at the first update, as MLX evaluates them before incrementing the step).

use std::sync::Arc;

/// A schedule: step -> value.
pub type Schedule = Arc<dyn Fn(u64) -> f64 + Send + Sync>;

/// `init * decay_rate^step`.
pub fn exponential_decay(init: f64, decay_rate: f64) -> Schedule {
    Arc::new(move |s| init * decay_rate.powf(s as f64))
}

/// `init * decay_rate^(step / step_size)` (integer division).
pub fn step_decay(init: f64, decay_rate: f64, step_size: u64) -> Schedule {
    Arc::new(move |s| init * decay_rate.powf((s / step_size.max(1)) as f64))
}

/// Cosine decay from `init` to `end` over `decay_steps`, then `end`.
pub fn cosine_decay(init: f64, decay_steps: u64, end: f64) -> Schedule {
    Arc::new(move |s| {
        let s = s.min(decay_steps) as f64;
        let decay = 0.5 * (1.0 + (std::f64::consts::PI / decay_steps.max(1) as f64 * s).cos());
        end + decay * (init - end)
    })
}

/// Linear from `init` to `end` over `steps`, then `end`.
pub fn linear_schedule(init: f64, end: f64, steps: u64) -> Schedule {
    Arc::new(move |s| {
        let s = s.min(steps) as f64;
        s * ((end - init) / steps.max(1) as f64) + init
    })
}

/// `schedules[0]` until `boundaries[0]`, then `schedules[1]` (counting from the boundary), ...
///
/// # Errors
/// `[join_schedules]` when `boundaries.len() != schedules.len() - 1`.
pub fn join_schedules(schedules: Vec<Schedule>, boundaries: Vec<u64>) -> mlx_core::Result<Schedule> {
    if schedules.is_empty() || boundaries.len() + 1 != schedules.len() {
        return Err(mlx_core::Error::invalid(
            "join_schedules",
            format!("Received {} boundaries but expected {}.", boundaries.len(), schedules.len().saturating_sub(1)),
        ));
    }
    Ok(Arc::new(move |s| {
        let mut out = schedules[0](s);
        for (b, sch) in boundaries.iter().zip(&schedules[1..]) {
            if s >= *b {
                out = sch(s - b);
            }
        }
        out
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_match_mlx() {
        // mlx.optimizers: cosine_decay(0.1, 10)(5) = 0.05; linear_schedule(0, 1, 4)(2) = 0.5
        assert!((cosine_decay(0.1, 10, 0.0)(5) - 0.05).abs() < 1e-12);
        assert!((linear_schedule(0.0, 1.0, 4)(2) - 0.5).abs() < 1e-12);
        assert!((linear_schedule(0.0, 1.0, 4)(9) - 1.0).abs() < 1e-12);
        assert!((step_decay(1.0, 0.5, 2)(5) - 0.25).abs() < 1e-12);
        assert!((exponential_decay(1.0, 0.5)(3) - 0.125).abs() < 1e-12);
        let j = join_schedules(vec![linear_schedule(0.0, 1.0, 10), cosine_decay(1.0, 10, 0.0)], vec![10]).unwrap();
        assert!((j(5) - 0.5).abs() < 1e-12);
        assert!((j(10) - 1.0).abs() < 1e-12);
        assert!(matches!(join_schedules(vec![], vec![1]), Err(e) if e.to_string().starts_with("[join_schedules]")));
    }
}
