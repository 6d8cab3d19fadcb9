//! Optimizers, schedules, clipping and mini-batches against their definitions, and a training
//! run that resumes exactly from saved model and optimizer state.

mod common;

use common::{cpu, gpu_or_skip, scratch, values};
use wgrad::data::DataLoader;
use wgrad::nn::{
    Activation, Dropout, Linear, Module, Parameter, Sequential, load_state_dict, save_state_dict,
};
use wgrad::optim::{
    AdamW, CosineLr, LrSchedule, Optim, Optimizer, Sgd, UpdateRule, clip_grad_norm,
    clip_grad_value, load_state, save_state,
};
use wgrad::{DType, Device, Tensor, manual_seed, rng_state};

fn parameter(v: &[f32]) -> Parameter {
    Parameter::new(Tensor::from_slice(v, &[v.len()], &cpu()).unwrap()).unwrap()
}

/// Gives `p` the gradient `grad` by backpropagating `sum(p * grad)`.
fn with_grad(p: &Parameter, grad: &[f32]) {
    let g = Tensor::from_slice(grad, &[grad.len()], &cpu()).unwrap();
    p.get().mul(&g).unwrap().sum().unwrap().backward().unwrap();
}

const GRADS: [[f32; 2]; 3] = [[0.5, -1.0], [0.25, 2.0], [-1.0, 0.5]];

#[test]
fn adamw_decays_weights_apart_from_the_moments() {
    let p = parameter(&[1.0, -2.0]);
    let mut opt = AdamW::new(vec![p.clone()], 0.1)
        .weight_decay(0.5)
        .betas(0.8, 0.9)
        .eps(1e-6);
    let (mut x, mut m, mut v) = ([1.0f64, -2.0], [0.0f64; 2], [0.0f64; 2]);
    for (t, grad) in GRADS.iter().enumerate() {
        opt.zero_grad();
        with_grad(&p, grad);
        opt.step().unwrap();
        let t = t as i32 + 1;
        for k in 0..2 {
            let g = grad[k] as f64;
            x[k] *= 1.0 - 0.1 * 0.5;
            m[k] = 0.8 * m[k] + 0.2 * g;
            v[k] = 0.9 * v[k] + 0.1 * g * g;
            let (mh, vh) = (m[k] / (1.0 - 0.8f64.powi(t)), v[k] / (1.0 - 0.9f64.powi(t)));
            x[k] -= 0.1 * mh / (vh.sqrt() + 1e-6);
        }
        common::assert_close(&values(&p.get()), &x, 1e-5);
    }
}

#[test]
fn nesterov_sgd_steps_along_the_gradient_plus_momentum() {
    let p = parameter(&[1.0, -2.0]);
    let mut opt = Sgd::new(vec![p.clone()], 0.1).momentum(0.9).nesterov(true);
    let (mut x, mut v) = ([1.0f64, -2.0], [0.0f64; 2]);
    for (step, grad) in GRADS.iter().enumerate() {
        opt.zero_grad();
        with_grad(&p, grad);
        opt.step().unwrap();
        for k in 0..2 {
            let g = grad[k] as f64;
            v[k] = if step == 0 { g } else { 0.9 * v[k] + g };
            x[k] -= 0.1 * (g + 0.9 * v[k]);
        }
        common::assert_close(&values(&p.get()), &x, 1e-5);
    }
    assert_eq!(opt.lr(), 0.1);
    opt.set_lr(0.02);
    assert_eq!(opt.lr(), 0.02);
}

#[test]
fn clipping_scales_by_the_global_norm_and_clamps_values() {
    let (a, b) = (parameter(&[3.0, 0.0]), parameter(&[1.0, 2.0]));
    with_grad(&a, &[3.0, 0.0]);
    with_grad(&b, &[0.0, 4.0]);
    let params = [a.clone(), b.clone()];
    let norm = clip_grad_norm(&params, 2.5)
        .unwrap()
        .expect("gradients exist");
    assert!((values(&norm)[0] - 5.0).abs() < 1e-6);
    let scale = 2.5 / (5.0 + 1e-6);
    common::assert_close(&values(&a.get().grad().unwrap()), &[3.0 * scale, 0.0], 1e-6);
    common::assert_close(&values(&b.get().grad().unwrap()), &[0.0, 4.0 * scale], 1e-6);
    // Below the limit nothing changes.
    let norm = clip_grad_norm(&params, 10.0).unwrap().unwrap();
    assert!((values(&norm)[0] - 2.5).abs() < 1e-5);
    common::assert_close(&values(&b.get().grad().unwrap()), &[0.0, 4.0 * scale], 1e-6);
    clip_grad_value(&params, 1.0).unwrap();
    common::assert_close(&values(&a.get().grad().unwrap()), &[1.0, 0.0], 1e-6);
    assert!(clip_grad_norm(&params, 0.0).is_err() && clip_grad_value(&params, -1.0).is_err());
    assert!(clip_grad_norm(&[parameter(&[1.0])], 1.0).unwrap().is_none());
}

#[test]
fn a_loader_covers_every_row_once_per_epoch_in_an_order_fixed_by_seed_and_epoch() {
    let dev = cpu();
    let x = Tensor::arange(0.0, 22.0, 1.0, DType::F32, &dev)
        .unwrap()
        .reshape(&[11, 2])
        .unwrap();
    let y = Tensor::arange(0.0, 11.0, 1.0, DType::I64, &dev).unwrap();
    let epoch = |loader: &DataLoader, e: u64| -> Vec<Vec<f64>> {
        let batches = loader.batches(e).unwrap().map(|b| b.unwrap());
        batches
            .map(|b| {
                assert_eq!(
                    values(&b[0])
                        .iter()
                        .step_by(2)
                        .map(|v| v / 2.0)
                        .collect::<Vec<_>>(),
                    values(&b[1])
                );
                values(&b[1])
            })
            .collect()
    };
    let ordered = DataLoader::new(&[&x, &y], 4).unwrap();
    assert_eq!(ordered.len(), 3);
    let order: Vec<Vec<f64>> = epoch(&ordered, 0);
    assert_eq!(
        order,
        [
            vec![0.0, 1.0, 2.0, 3.0],
            vec![4.0, 5.0, 6.0, 7.0],
            vec![8.0, 9.0, 10.0]
        ]
    );
    let shuffled = DataLoader::new(&[&x, &y], 4).unwrap().shuffle(3);
    let (first, second) = (epoch(&shuffled, 0), epoch(&shuffled, 1));
    assert_eq!(
        first,
        epoch(&shuffled, 0),
        "an epoch is fixed by seed and number"
    );
    assert_ne!(first, second, "epochs differ");
    assert_ne!(first, order);
    for rows in [first, second] {
        let mut all: Vec<f64> = rows.concat();
        all.sort_by(f64::total_cmp);
        assert_eq!(all, (0..11).map(f64::from).collect::<Vec<_>>());
    }
    let dropped = shuffled.clone().drop_last(true);
    assert_eq!(dropped.len(), 2);
    assert!(epoch(&dropped, 0).iter().all(|b| b.len() == 4));
    assert!(DataLoader::new(&[&x, &y.narrow(0, 0, 5).unwrap()], 2).is_err());
    assert!(DataLoader::new(&[&x], 0).is_err());
    if let Some(gpu) = gpu_or_skip() {
        let (xg, yg) = (x.to(&gpu).unwrap(), y.to(&gpu).unwrap());
        let on_gpu = DataLoader::new(&[&xg, &yg], 4).unwrap().shuffle(3);
        for (b, c) in on_gpu.batches(1).unwrap().zip(shuffled.batches(1).unwrap()) {
            let (b, c) = (b.unwrap(), c.unwrap());
            assert!(b[0].device() == gpu, "batches stay on the device");
            assert_eq!(values(&b[0]), values(&c[0]));
        }
    }
}

/// A small regression model with dropout, its data, and a loader.
fn setup(device: &Device) -> (Sequential, DataLoader) {
    manual_seed(21);
    let model = Sequential::new()
        .push(Linear::new(3, 16, device).unwrap())
        .push(Activation::Tanh)
        .push(Dropout::new(0.2).unwrap())
        .push(Linear::new(16, 1, device).unwrap());
    let x = Tensor::randn(&[40, 3], DType::F32, 1, device).unwrap();
    let y = x.sum_axis(1, true).unwrap().sin().unwrap();
    (model, DataLoader::new(&[&x, &y], 8).unwrap().shuffle(5))
}

/// Trains epochs `epochs` with AdamW under a warm-up cosine schedule and gradient clipping.
fn train(model: &Sequential, opt: &mut AdamW, loader: &DataLoader, epochs: std::ops::Range<u64>) {
    let schedule = CosineLr {
        base: 0.05,
        min: 0.001,
        warmup: 5,
        total: 40,
    };
    for epoch in epochs {
        for (i, batch) in loader.batches(epoch).unwrap().enumerate() {
            let batch = batch.unwrap();
            opt.set_lr(schedule.lr(epoch as usize * loader.len() + i));
            let loss = model
                .forward(&batch[0])
                .unwrap()
                .mse_loss(&batch[1])
                .unwrap();
            opt.zero_grad();
            loss.backward().unwrap();
            clip_grad_norm(&model.parameters(), 1.0).unwrap();
            opt.step().unwrap();
        }
    }
}

#[test]
fn a_run_resumed_from_saved_state_equals_the_uninterrupted_run() {
    let dir = scratch("resume");
    let dev = cpu();
    let (straight, loader) = setup(&dev);
    let mut opt = AdamW::new(straight.parameters(), 0.05);
    manual_seed(77);
    train(&straight, &mut opt, &loader, 0..8);

    let (first_half, loader) = setup(&dev);
    let mut opt = AdamW::new(first_half.parameters(), 0.05);
    manual_seed(77);
    train(&first_half, &mut opt, &loader, 0..4);
    save_state_dict(dir.join("model.npz"), &first_half).unwrap();
    save_state(dir.join("optim.npz"), &opt).unwrap();
    // A checkpoint keeps where the default generator stands, for dropout's masks.
    let rng = rng_state();

    let (resumed, loader) = setup(&dev);
    let mut opt = AdamW::new(resumed.parameters(), 0.9);
    load_state_dict(dir.join("model.npz"), &resumed).unwrap();
    load_state(dir.join("optim.npz"), &mut opt).unwrap();
    assert_eq!(opt.lr(), first_half_lr());
    manual_seed(rng);
    train(&resumed, &mut opt, &loader, 4..8);
    for ((name, a), (_, b)) in straight
        .named_parameters()
        .iter()
        .zip(resumed.named_parameters())
    {
        assert_eq!(
            values(&a.get()),
            values(&b.get()),
            "{name} differs after resuming"
        );
    }
    // Loading a state into an optimizer over other parameters fails and changes nothing.
    let mut other = AdamW::new(vec![parameter(&[1.0])], 0.3);
    let err = load_state(dir.join("optim.npz"), &mut other)
        .unwrap_err()
        .to_string();
    assert!(err.contains("0.exp_avg"), "{err}");
    assert_eq!(other.lr(), 0.3);
}

/// The learning rate the schedule set for the last step of the first half.
fn first_half_lr() -> f64 {
    CosineLr {
        base: 0.05,
        min: 0.001,
        warmup: 5,
        total: 40,
    }
    .lr(4 * 5 - 1)
}

/// signSGD with a running count of updates: a rule of one's own.
struct SignSgd;

impl UpdateRule for SignSgd {
    const STATE: &'static [&'static str] = &["updates"];

    fn update(
        &self,
        p: &Tensor,
        g: Tensor,
        state: &mut Option<Vec<Tensor>>,
        step: u64,
        lr: f64,
    ) -> wgrad::Result<Tensor> {
        let count = Tensor::full(p.shape(), step as f64, p.dtype(), &p.device())?;
        *state = Some(vec![count]);
        p.sub(&g.sign()?.mul_scalar(lr)?)
    }
}

#[test]
fn a_rule_of_ones_own_is_an_optimizer_with_state_and_schedules() {
    let p = parameter(&[1.0, -2.0]);
    let mut opt = Optim::with_rule(vec![p.clone()], 0.5, SignSgd);
    for grad in GRADS {
        opt.zero_grad();
        with_grad(&p, &grad);
        opt.step().unwrap();
    }
    // signs: (+, -), (+, +), (-, +)
    assert_eq!(values(&p.get()), [0.5, -2.5]);
    let state = opt.state().unwrap();
    let names: Vec<&str> = state.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["step", "lr", "0.updates"]);
    assert_eq!(values(&state[2].1), [3.0, 3.0]);
}
