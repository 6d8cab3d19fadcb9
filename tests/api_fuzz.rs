//! A seeded fuzzer of the public API: random chains of every op with random, often invalid,
//! arguments (shapes with zeros and ones, impossible sizes, out-of-range and negative axes,
//! mismatched dtypes and devices, NaN and infinity) on the CPU and the GPU. Every call must
//! return `Ok` or an `Err`; a panic or an abort fails the test with the call that caused it.
//!
//! The cases run in a child process (this test binary, run again), which prints each call
//! before making it: an abort (a stack overflow, a failed allocation) cannot be caught in
//! process, but the parent still reports the last call. `WGRAD_FUZZ_CASES` sets the number of
//! chains per device (default 1500, 4 s in CI here); `WGRAD_FUZZ_SEED` the first seed.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;

use common::Rng;
use wgrad::nn::{Linear, Module};
use wgrad::{
    Conv2dOptions, CrossEntropyOptions, DType, Device, GradOptions, Reduction, Result, Tensor,
    grad, hessian, hvp, jacobian, npy,
};

/// Ops per chain.
const CHAIN: usize = 24;

/// The fuzzer's draws of arguments, from the shared seeded generator.
trait Draw {
    fn dim(&mut self) -> usize;
    fn shape(&mut self) -> Vec<usize>;
    fn small_shape(&mut self) -> Vec<usize>;
    fn axis(&mut self) -> isize;
    fn scalar(&mut self) -> f64;
    fn dtype(&mut self) -> DType;
}

impl Draw for Rng {
    /// A dimension: mostly small, with zeros and ones, now and then one no memory can hold.
    fn dim(&mut self) -> usize {
        if self.chance(3) {
            self.pick(&[1 << 40, 1 << 62, usize::MAX, usize::MAX / 3])
        } else {
            self.pick(&[0, 1, 1, 2, 3, 3, 4, 5])
        }
    }

    fn shape(&mut self) -> Vec<usize> {
        (0..self.below(5)).map(|_| self.dim()).collect()
    }

    /// A small shape (no impossible sizes): for ops whose cost grows with the shape.
    fn small_shape(&mut self) -> Vec<usize> {
        (0..self.below(4))
            .map(|_| self.pick(&[0, 1, 2, 3]))
            .collect()
    }

    /// An axis, sometimes out of range or negative.
    fn axis(&mut self) -> isize {
        self.below(11) as isize - 5
    }

    fn scalar(&mut self) -> f64 {
        self.pick(&[
            0.0,
            1.0,
            -2.5,
            0.5,
            3.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            1e30,
            -1e-30,
        ])
    }

    fn dtype(&mut self) -> DType {
        self.pick(&DType::ALL)
    }
}

/// The devices to fuzz: the CPU, and the GPU when there is one.
fn devices() -> Vec<(&'static str, Device)> {
    let mut devices = vec![("cpu", Device::cpu())];
    if let Some(gpu) = common::gpu_or_skip() {
        devices.push(("gpu", gpu));
    }
    devices
}

/// One chain of calls from `seed`: tensors made on the CPU and `device`, then random ops on
/// random members of the pool, each announced on stderr before it runs.
fn chain(seed: u64, device: &Device) {
    let mut rng = Rng::new(seed);
    let mut pool: Vec<Tensor> = Vec::new();
    for step in 0..CHAIN {
        match describe_and_run(&mut rng, &pool, device, step) {
            Ok(t) => {
                eprintln!("    ok: {:?} {}", t.shape(), t.dtype());
                // Keep results small enough that later ops stay cheap.
                if t.numel() <= 4096 && pool.len() < 12 {
                    pool.push(t);
                }
            }
            Err(e) => eprintln!("    error: {e}"),
        }
    }
}

/// Picks one call, prints it, runs it.
fn describe_and_run(
    rng: &mut Rng,
    pool: &[Tensor],
    device: &Device,
    step: usize,
) -> Result<Tensor> {
    let here = if rng.chance(70) {
        device.clone()
    } else {
        Device::cpu()
    };
    if pool.is_empty() || rng.chance(20) {
        return create(rng, &here, step);
    }
    let a = pool[rng.below(pool.len())].clone();
    // Operands that agree with `a` most of the time, so that calls get past the first checks.
    let partner = |rng: &mut Rng| {
        let matching: Vec<&Tensor> = pool
            .iter()
            .filter(|t| t.dtype() == a.dtype() && t.device() == a.device())
            .collect();
        if rng.chance(70) {
            matching[rng.below(matching.len())].clone()
        } else {
            pool[rng.below(pool.len())].clone()
        }
    };
    let b = partner(rng);
    let c = partner(rng);
    let name = |t: &Tensor| format!("{:?} {} on {}", t.shape(), t.dtype(), t.device());
    let (x, y) = (rng.axis(), rng.axis());
    let s = rng.scalar();
    let op = rng.below(117);
    announce(
        step,
        &format!(
            "op {op} on a = {}, b = {}, c = {}, axes {x} {y}, scalar {s}",
            name(&a),
            name(&b),
            name(&c)
        ),
    );
    // Now and then a target shape no memory holds: the call must refuse it.
    let small = if rng.chance(15) {
        rng.shape()
    } else {
        rng.small_shape()
    };
    let dtype = rng.dtype();
    let keepdim = rng.chance(50);
    let start = rng.below(4);
    let len = rng.below(4);
    let (width, seed) = (rng.dim(), rng.next());
    let (t, u) = (rng.scalar(), rng.scalar());
    let (maybe_low, maybe_high) = (rng.chance(70).then_some(t), rng.chance(70).then_some(u));
    let reduction = rng.pick(&[Reduction::None, Reduction::Mean, Reduction::Sum]);
    let options = CrossEntropyOptions {
        ignore_index: rng.chance(50).then_some(x as i64),
        label_smoothing: t,
        reduction,
    };
    let parts = rng.below(5);
    let windows = Conv2dOptions {
        stride: rng.below(3),
        padding: rng.below(3),
        dilation: rng.below(3),
    };
    let signed: Vec<isize> = small.iter().map(|&d| d as isize - 1).collect();
    match op {
        0 => a.add(&b),
        1 => a.sub(&b),
        2 => a.mul(&b),
        3 => a.div(&b),
        4 => a.matmul(&b),
        5 => a.eq(&b),
        6 => a.lt(&b),
        7 => a.gt(&b),
        8 => a.gt(&b).and_then(|cond| cond.where_cond(&b, &c)),
        9 => a.add_scalar(s),
        10 => a.mul_scalar(s),
        11 => a.pow(s),
        12 => a.neg(),
        13 => a.exp(),
        14 => a.log(),
        15 => a.sqrt(),
        16 => a.abs(),
        17 => a.tanh(),
        18 => a.sigmoid(),
        19 => a.relu(),
        20 => a.gelu(),
        21 => a.sum(),
        22 => a.sum_axis(x, keepdim),
        23 => a.mean(),
        24 => a.mean_axis(x, keepdim),
        25 => a.max(),
        26 => a.max_axis(x, keepdim),
        27 => a.argmax(x, keepdim),
        28 => a.reshape(&small),
        29 => a.transpose(x, y),
        30 => a.permute(&small),
        31 => a.broadcast_to(&small),
        32 => a.narrow(x, start, len),
        33 => Tensor::cat(&[&a, &b], x),
        34 => a.softmax(x),
        35 => a.log_softmax(x),
        36 => a.cross_entropy(&b),
        37 => a.mse_loss(&b),
        38 => a.to_dtype(dtype),
        39 => a.to(&here),
        40 => a.copy(),
        41 => a.requires_grad(),
        42 => differentiate(&a, &b),
        43 => a.backward_with(Some(&b), rng.chance(50)).map(|()| b),
        44 => jacobian(|t| t.tanh()?.mul(&b), &a),
        45 => hessian(|t| t.pow(3.0)?.sum(), &a),
        46 => hvp(|t| t.mul(t)?.sum(), &a, &b).map(|(_, product)| product),
        47 => Linear::new(a.shape().last().copied().unwrap_or(1), width, &a.device())
            .and_then(|layer| layer.forward(&a)),
        48 => Tensor::from_ndarray(&a.detach().to_ndarray::<f32>()?.t(), &here),
        50 => a.sin(),
        51 => a.cos(),
        52 => a.log1p(),
        53 => a.expm1(),
        54 => a.reciprocal(),
        55 => a.rsqrt(),
        56 => a.square(),
        57 => a.sign(),
        58 => a.clamp(maybe_low, maybe_high),
        59 => a.silu(),
        60 => a.softplus(),
        61 => a.leaky_relu(s),
        62 => a.elu(s),
        63 => a.maximum(&b),
        64 => a.minimum(&b),
        65 => a.ne(&b),
        66 => a.le(&b),
        67 => a.ge(&b),
        68 => a.gt_scalar(s),
        69 => a.eq_scalar(s),
        70 => a.logical_and(&b),
        71 => a.logical_or(&b),
        72 => a.logical_not(),
        73 => a.isnan(),
        74 => a.isfinite(),
        75 => a.min(),
        76 => a.min_axis(x, keepdim),
        77 => a.argmin(x, keepdim),
        78 => a.var_axis(x, s, keepdim),
        79 => a.std(s),
        80 => a.logsumexp(x, keepdim),
        81 => a.norm_axis(s, x, keepdim),
        82 => a.unsqueeze(x),
        83 => a.squeeze(x),
        84 => Ok(a.squeeze_all()),
        85 => a.flatten(x, y),
        86 => a.reshape_infer(&signed),
        87 => a.expand(&signed),
        88 => Tensor::stack(&[&a, &b], x),
        89 => a.split(parts, x).and_then(|p| {
            p.into_iter()
                .next()
                .ok_or_else(|| wgrad::Error::Internal("no part".into()))
        }),
        90 => a.chunk(parts, x).and_then(|p| {
            p.into_iter()
                .last()
                .ok_or_else(|| wgrad::Error::Internal("no chunk".into()))
        }),
        91 => a.one_hot(width),
        92 => a.cross_entropy_with(&b, &options),
        93 => a.nll_loss(&b, reduction),
        94 => a.smooth_l1_loss(&b, s, reduction),
        95 => a.huber_loss(&b, s, reduction),
        96 => a.binary_cross_entropy_with_logits(&b, reduction),
        97 => ((&a + &b) * &c).and_then(|t| (s - &t)? / s),
        98 => a.sub_scalar(s)?.div_scalar(t)?.rsub(u)?.rdiv(s),
        99 => a.gather(x, &b),
        100 => a.scatter_add(x, &b, &c),
        101 => a.index_select(x, &b),
        102 => a.masked_fill(&b, s),
        103 => a.argsort(x, keepdim),
        104 => a.sort(x, keepdim).map(|(values, _)| values),
        105 => a.topk(parts, x, keepdim).map(|(_, indices)| indices),
        106 => a.cumsum(x),
        107 => a.prod(),
        108 => a.prod_axis(x, keepdim),
        109 => a.conv2d(&b, keepdim.then_some(&c), windows),
        110 => a.max_pool2d(parts, windows),
        111 => a.avg_pool2d(parts, windows),
        112 => a.multinomial(width, keepdim, seed),
        113 => a.bernoulli(seed),
        114 => a.dropout(s, seed),
        115 => Tensor::randperm(width, seed, &here),
        _ => export(&a),
    }
}

/// A creation call with random, often impossible, arguments.
fn create(rng: &mut Rng, device: &Device, step: usize) -> Result<Tensor> {
    let shape = rng.shape();
    let dtype = rng.dtype();
    let kind = rng.below(7);
    let (start, end, stepsize) = (rng.scalar(), rng.scalar(), rng.scalar());
    let seed = rng.next();
    announce(
        step,
        &format!(
            "create {kind}: shape {shape:?} {dtype} on {device}, arange {start} {end} {stepsize}"
        ),
    );
    match kind {
        0 => Tensor::zeros(&shape, dtype, device),
        1 => Tensor::full(&shape, start, dtype, device),
        2 => Tensor::rand(&shape, dtype, seed, device),
        3 => Tensor::arange(start, end, stepsize, dtype, device),
        4 => Tensor::arange(0.0, 7.0, 1.0, dtype, device)?.reshape(&shape),
        5 => {
            let values: Vec<f32> = (0..7)
                .map(|i| [1.5, -0.5, f32::NAN, 2.0, f32::INFINITY, 0.0, -3.0][i])
                .collect();
            Tensor::from_vec(values, &shape, device)
        }
        _ => Tensor::randn(&shape, dtype, seed, device),
    }
}

/// Gradients of `a` (reduced to a scalar) with respect to `a` and `b`, first and second order.
fn differentiate(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    let x = a.detach().requires_grad()?;
    let loss = x.mul(&x)?.sum()?;
    let first = grad(
        &[&loss],
        &[&x, b],
        None,
        &GradOptions::new().create_graph(true).allow_unused(true),
    )?;
    let g = first[0]
        .clone()
        .ok_or_else(|| wgrad::Error::Internal("unused".into()))?;
    g.sum()?.backward()?;
    x.grad()
        .ok_or_else(|| wgrad::Error::Internal("no grad".into()))
}

/// Every way out of a tensor: item, arrays, .npy bytes and back.
fn export(a: &Tensor) -> Result<Tensor> {
    let _ = a.item::<f32>();
    let _ = a.to_ndarray_dyn();
    let bytes = npy::to_bytes(a)?;
    npy::from_bytes(&bytes, &a.device())
}

fn announce(step: usize, call: &str) {
    eprintln!("  step {step}: {call}");
}

/// Runs chains `first..first + count` on `device`, each under catch_unwind so that a panic names
/// its chain; aborts are the parent's to report.
fn run_chains(device: &Device, first: u64, count: u64) {
    for seed in first..first + count {
        eprintln!("chain {seed} on {device}");
        if catch_unwind(AssertUnwindSafe(|| chain(seed, device))).is_err() {
            panic!("chain {seed} on {device} panicked (its calls are above)");
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn no_call_panics_or_aborts() {
    let count = env_number("WGRAD_FUZZ_CASES", 1500);
    let first = env_number("WGRAD_FUZZ_SEED", 0);
    if let Ok(device) = std::env::var("WGRAD_FUZZ_CHILD") {
        let device = devices()
            .into_iter()
            .find(|(name, _)| *name == device)
            .expect("the parent checked the device")
            .1;
        run_chains(&device, first, count);
        return;
    }
    for (name, _) in devices() {
        let output = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "no_call_panics_or_aborts",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("WGRAD_FUZZ_CHILD", name)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !output.status.success() {
            let tail: Vec<&str> = stderr.lines().rev().take(40).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            panic!(
                "the fuzzer's child on {name} failed ({}); reproduce with WGRAD_FUZZ_SEED set \
                 to the last chain below and WGRAD_FUZZ_CASES=1. Its last calls:\n{}",
                output.status,
                tail.join("\n")
            );
        }
        let lines = |prefix: &str| stderr.lines().filter(|l| l.starts_with(prefix)).count();
        let (chains, calls) = (lines("chain "), lines("  step "));
        let (succeeded, refused) = (lines("    ok: "), lines("    error: "));
        assert_eq!(chains as u64, count, "every chain ran on {name}");
        assert_eq!(succeeded + refused, calls, "every call returned on {name}");
        println!(
            "{name}: {chains} chains, {calls} calls ({succeeded} succeeded, {refused} returned \
             an error), no panic and no abort"
        );
    }
}
