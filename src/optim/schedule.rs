//! Learning-rate schedules: the rate as a function of the step, set on the optimizer each step
//! (`optimizer.set_lr(schedule.lr(step))`). Being functions of the step, they resume exactly.

/// A learning rate for each step (counted from 0).
pub trait LrSchedule {
    /// The learning rate at `step`.
    fn lr(&self, step: usize) -> f64;
}

/// `base * gamma^(step / every)` (`torch.optim.lr_scheduler.StepLR`).
#[derive(Clone, Copy, Debug)]
pub struct StepLr {
    pub base: f64,
    pub every: usize,
    pub gamma: f64,
}

impl LrSchedule for StepLr {
    fn lr(&self, step: usize) -> f64 {
        let drops = step / self.every.max(1);
        self.base * self.gamma.powi(i32::try_from(drops).unwrap_or(i32::MAX))
    }
}

/// A linear warm-up from 0 to `base` over `warmup` steps, then a cosine decay to `min` at
/// `total` steps, flat after (the schedule of most transformer recipes).
#[derive(Clone, Copy, Debug)]
pub struct CosineLr {
    pub base: f64,
    pub min: f64,
    pub warmup: usize,
    pub total: usize,
}

impl LrSchedule for CosineLr {
    fn lr(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.base * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.total.saturating_sub(self.warmup).max(1) as f64;
        let progress = ((step - self.warmup) as f64 / span).min(1.0);
        self.min + 0.5 * (self.base - self.min) * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

/// `base` times a factor going linearly from `start` to `end` over `total` steps, flat after
/// (`torch.optim.lr_scheduler.LinearLR`).
#[derive(Clone, Copy, Debug)]
pub struct LinearLr {
    pub base: f64,
    pub start: f64,
    pub end: f64,
    pub total: usize,
}

impl LrSchedule for LinearLr {
    fn lr(&self, step: usize) -> f64 {
        let progress = (step as f64 / self.total.max(1) as f64).min(1.0);
        self.base * (self.start + (self.end - self.start) * progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_their_formulas() {
        let step = StepLr {
            base: 0.1,
            every: 10,
            gamma: 0.5,
        };
        assert_eq!(
            [step.lr(0), step.lr(9), step.lr(10), step.lr(25)],
            [0.1, 0.1, 0.05, 0.025]
        );
        let cosine = CosineLr {
            base: 1.0,
            min: 0.1,
            warmup: 4,
            total: 104,
        };
        assert_eq!([cosine.lr(0), cosine.lr(3)], [0.25, 1.0]);
        assert!((cosine.lr(4) - 1.0).abs() < 1e-12);
        assert!((cosine.lr(54) - 0.55).abs() < 1e-12);
        assert!((cosine.lr(104) - 0.1).abs() < 1e-12 && cosine.lr(500) == cosine.lr(104));
        let linear = LinearLr {
            base: 2.0,
            start: 1.0,
            end: 0.0,
            total: 4,
        };
        assert_eq!(
            [linear.lr(0), linear.lr(1), linear.lr(4), linear.lr(9)],
            [2.0, 1.5, 0.0, 0.0]
        );
    }
}
