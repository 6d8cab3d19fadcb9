//! Modules, optimizers and state dicts against their definitions.

mod common;

use common::{cpu, scratch, values};
use wgrad::nn::{
    Activation, BatchNorm1d, Dropout, LayerNorm, Linear, Mlp, Module, Parameter, Sequential,
    Visitor, load_state_dict, load_state_dict_partial, save_state_dict,
};
use wgrad::optim::{Adam, Optimizer, Sgd};
use wgrad::{DType, Tensor, manual_seed};

/// A parameter whose gradient is `grad`, by backpropagating `sum(p * grad)`.
fn with_grad(p: &Parameter, grad: &[f32]) {
    let g = Tensor::from_slice(grad, &[grad.len()], &cpu()).unwrap();
    p.get().mul(&g).unwrap().sum().unwrap().backward().unwrap();
}

#[test]
fn linear_is_x_wt_plus_b_with_pytorch_layout_and_init() {
    let layer = Linear::new(4, 3, &cpu()).unwrap();
    let (w, b) = (layer.weight.get(), layer.bias.get());
    assert_eq!((w.shape(), b.shape()), (&[3, 4][..], &[3][..]));
    let bound = 0.5; // 1 / sqrt(4)
    assert!(
        values(&w)
            .iter()
            .chain(values(&b).iter())
            .all(|v| v.abs() <= bound)
    );
    assert!(
        values(&w).iter().any(|v| v.abs() > bound / 2.0),
        "spread over the range, not near zero"
    );
    let x = Tensor::randn(&[5, 4], DType::F32, 1, &cpu()).unwrap();
    let y = layer.forward(&x).unwrap();
    let (xv, wv, bv) = (values(&x), values(&w), values(&b));
    for i in 0..5 {
        for o in 0..3 {
            let expected: f64 = (0..4).map(|k| xv[i * 4 + k] * wv[o * 4 + k]).sum::<f64>() + bv[o];
            assert!((values(&y)[i * 3 + o] - expected).abs() < 1e-5);
        }
    }
}

#[test]
fn mlp_and_sequential_name_their_parameters() {
    let mlp = Mlp::new(&[2, 5, 5, 3], Activation::Relu, &cpu()).unwrap();
    let names: Vec<String> = mlp.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.1.weight",
            "layers.1.bias",
            "layers.2.weight",
            "layers.2.bias"
        ]
    );
    let seq = Sequential::new()
        .push(Linear::new(2, 4, &cpu()).unwrap())
        .push(Activation::Gelu)
        .push(Linear::new(4, 1, &cpu()).unwrap());
    let names: Vec<String> = seq.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.weight", "2.bias"]);
    assert_eq!(
        seq.forward(&Tensor::randn(&[3, 2], DType::F32, 3, &cpu()).unwrap())
            .unwrap()
            .shape(),
        &[3, 1]
    );
    assert!(Mlp::new(&[4], Activation::Tanh, &cpu()).is_err());
}

#[test]
fn sgd_with_momentum_and_weight_decay_follows_pytorch() {
    let p = Parameter::new(Tensor::from_vec(vec![1.0f32, -2.0], &[2], &cpu()).unwrap()).unwrap();
    let mut sgd = Sgd::new(vec![p.clone()], 0.1)
        .momentum(0.9)
        .weight_decay(0.01);
    let (mut x, mut v) = ([1.0f64, -2.0], [0.0f64; 2]);
    for (step, grad) in [[0.5f32, -1.0], [0.25, 2.0], [-1.0, 0.5]]
        .iter()
        .enumerate()
    {
        sgd.zero_grad();
        with_grad(&p, grad);
        sgd.step().unwrap();
        for k in 0..2 {
            let g = grad[k] as f64 + 0.01 * x[k];
            v[k] = if step == 0 { g } else { 0.9 * v[k] + g };
            x[k] -= 0.1 * v[k];
        }
        let got = values(&p.get());
        assert!(
            (got[0] - x[0]).abs() < 1e-5 && (got[1] - x[1]).abs() < 1e-5,
            "step {step}: {got:?} vs {x:?}"
        );
    }
    assert!(
        p.get().needs_grad() && p.get().is_leaf(),
        "updated parameters are fresh leaves"
    );
}

#[test]
fn adam_follows_the_bias_corrected_update() {
    let p =
        Parameter::new(Tensor::from_vec(vec![0.5f32, -1.5, 2.0], &[3], &cpu()).unwrap()).unwrap();
    let mut adam = Adam::new(vec![p.clone()], 0.01);
    let (mut x, mut m, mut v) = ([0.5f64, -1.5, 2.0], [0.0f64; 3], [0.0f64; 3]);
    for (t, grad) in [[0.3f32, -0.2, 1.0], [0.1, 0.4, -2.0], [-0.5, 0.05, 0.7]]
        .iter()
        .enumerate()
    {
        adam.zero_grad();
        with_grad(&p, grad);
        adam.step().unwrap();
        let t = t as i32 + 1;
        for k in 0..3 {
            let g = grad[k] as f64;
            m[k] = 0.9 * m[k] + 0.1 * g;
            v[k] = 0.999 * v[k] + 0.001 * g * g;
            let (mh, vh) = (
                m[k] / (1.0 - 0.9f64.powi(t)),
                v[k] / (1.0 - 0.999f64.powi(t)),
            );
            x[k] -= 0.01 * mh / (vh.sqrt() + 1e-8);
        }
        let got = values(&p.get());
        for k in 0..3 {
            assert!((got[k] - x[k]).abs() < 1e-5, "step {t}: {got:?} vs {x:?}");
        }
    }
}

#[test]
fn state_dicts_round_trip_and_refuse_mismatches() {
    let dir = scratch("nn");
    let path = dir.join("model.npz");
    let trained = Mlp::new(&[2, 6, 3], Activation::Tanh, &cpu()).unwrap();
    save_state_dict(&path, &trained).unwrap();
    let fresh = Mlp::new(&[2, 6, 3], Activation::Tanh, &cpu()).unwrap();
    let x = Tensor::randn(&[4, 2], DType::F32, 3, &cpu()).unwrap();
    assert_ne!(
        values(&fresh.forward(&x).unwrap()),
        values(&trained.forward(&x).unwrap())
    );
    load_state_dict(&path, &fresh).unwrap();
    assert_eq!(
        values(&fresh.forward(&x).unwrap()),
        values(&trained.forward(&x).unwrap())
    );
    // A mismatch anywhere leaves the whole module as it was.
    let wider = Mlp::new(&[2, 6, 4], Activation::Tanh, &cpu()).unwrap();
    let before = values(&wider.forward(&x).unwrap());
    let err = load_state_dict(&path, &wider).unwrap_err();
    assert!(
        err.to_string()
            .contains("layers.1.weight is [3, 6] f32 in the file but [4, 6] f32"),
        "{err}"
    );
    assert_eq!(
        values(&wider.forward(&x).unwrap()),
        before,
        "layers.0 was not loaded either"
    );
    // Every problem is listed at once: here two missing entries and a misshaped one.
    let deeper = Mlp::new(&[2, 6, 3, 3], Activation::Tanh, &cpu()).unwrap();
    let before = values(&deeper.forward(&x).unwrap());
    let err = load_state_dict(&path, &deeper).unwrap_err().to_string();
    for problem in [
        "missing layers.2.weight",
        "missing layers.2.bias",
        "nothing was loaded",
    ] {
        assert!(err.contains(problem), "{problem:?} not in {err}");
    }
    assert_eq!(values(&deeper.forward(&x).unwrap()), before);
    // Non-strict loading takes what fits and reports the rest.
    let report = load_state_dict_partial(&path, &deeper).unwrap();
    assert_eq!(report.missing, ["layers.2.weight", "layers.2.bias"]);
    assert!(report.unexpected.is_empty());
    assert_eq!(
        values(&parameter(&deeper, "layers.0.weight")),
        values(&parameter(&trained, "layers.0.weight"))
    );
    let shallow = Mlp::new(&[2, 6], Activation::Tanh, &cpu()).unwrap();
    let err = load_state_dict(&path, &shallow).unwrap_err().to_string();
    assert!(
        err.contains("unexpected layers.1.weight") && err.contains("unexpected layers.1.bias"),
        "{err}"
    );
    let report = load_state_dict_partial(&path, &shallow).unwrap();
    assert_eq!(report.unexpected.len(), 2);
    assert!(report.missing.is_empty());
}

/// The value of `module`'s parameter `name`.
fn parameter(module: &impl Module, name: &str) -> Tensor {
    let found = module
        .named_parameters()
        .into_iter()
        .find(|(n, _)| n == name);
    found.expect("a parameter of that name").1.get()
}

#[test]
fn one_seed_fixes_a_model_and_layers_created_in_turn_differ() {
    manual_seed(5);
    let (a, b) = (
        Linear::new(4, 4, &cpu()).unwrap(),
        Linear::new(4, 4, &cpu()).unwrap(),
    );
    assert_ne!(values(&a.weight.get()), values(&b.weight.get()));
    manual_seed(5);
    let again = Linear::new(4, 4, &cpu()).unwrap();
    assert_eq!(values(&a.weight.get()), values(&again.weight.get()));
    assert_eq!(values(&a.bias.get()), values(&again.bias.get()));
    manual_seed(6);
    assert_ne!(
        values(&Linear::new(4, 4, &cpu()).unwrap().weight.get()),
        values(&a.weight.get())
    );
}

/// A custom module composed of others, as a user writes one.
struct Block {
    norm: LayerNorm,
    layers: Vec<Linear>,
    drop: Dropout,
    bn: BatchNorm1d,
}

impl Module for Block {
    fn forward(&self, x: &Tensor) -> wgrad::Result<Tensor> {
        let h = self.layers[0].forward(&self.norm.forward(x)?)?;
        self.layers[1].forward(&self.drop.forward(&self.bn.forward(&h)?)?)
    }

    fn visit(&self, v: &mut Visitor<'_>) {
        v.module("norm", &self.norm);
        v.modules("layers", &self.layers);
        v.module("drop", &self.drop);
        v.module("bn", &self.bn);
    }
}

fn block() -> Block {
    let dev = cpu();
    Block {
        norm: LayerNorm::new(3, &dev).unwrap(),
        layers: vec![
            Linear::new(3, 4, &dev).unwrap(),
            Linear::new(4, 2, &dev).unwrap(),
        ],
        drop: Dropout::new(0.5).unwrap(),
        bn: BatchNorm1d::new(4, &dev).unwrap(),
    }
}

#[test]
fn a_custom_module_gets_names_modes_repr_and_dtype_from_its_visit() {
    let model = Sequential::new().push(block()).push(Activation::Relu);
    let names: Vec<String> = model
        .named_parameters()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(
        names,
        [
            "0.norm.weight",
            "0.norm.bias",
            "0.layers.0.weight",
            "0.layers.0.bias",
            "0.layers.1.weight",
            "0.layers.1.bias",
            "0.bn.weight",
            "0.bn.bias"
        ]
    );
    let buffers: Vec<String> = model.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        buffers,
        [
            "0.bn.running_mean",
            "0.bn.running_var",
            "0.bn.num_batches_tracked"
        ]
    );
    assert_eq!(model.state_dict().len(), 11);
    assert_eq!(
        format!("{model:?}"),
        "Sequential(\n  (0): Block(\n    (norm): LayerNorm((3,), eps=1e-5, elementwise_affine=True)\n    \
         (layers.0): Linear(in_features=3, out_features=4, bias=True)\n    \
         (layers.1): Linear(in_features=4, out_features=2, bias=True)\n    \
         (drop): Dropout(p=0.5, inplace=False)\n    \
         (bn): BatchNorm1d(4, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)\n  )\n  \
         (1): ReLU()\n)"
    );
    // eval reaches the dropout and the batch norm inside the custom block.
    let x = Tensor::randn(&[6, 3], DType::F32, 1, &cpu()).unwrap();
    model.eval();
    let (y1, y2) = (model.forward(&x).unwrap(), model.forward(&x).unwrap());
    assert_eq!(values(&y1), values(&y2), "deterministic in eval mode");
    let tracked = |m: &Sequential| values(&m.named_buffers()[2].1.get())[0];
    assert_eq!(tracked(&model), 0.0, "eval uses the running statistics");
    model.train();
    let (y1, y2) = (model.forward(&x).unwrap(), model.forward(&x).unwrap());
    assert_ne!(values(&y1), values(&y2), "dropout is active again");
    assert_eq!(tracked(&model), 2.0);
    model.to_dtype(DType::F64).unwrap();
    assert!(
        model
            .parameters()
            .iter()
            .all(|p| p.get().dtype() == DType::F64 && p.get().needs_grad())
    );
    assert_eq!(
        model.named_buffers()[2].1.get().dtype(),
        DType::I64,
        "counts stay integers"
    );
    assert_eq!(
        model
            .forward(&x.to_dtype(DType::F64).unwrap())
            .unwrap()
            .dtype(),
        DType::F64
    );
}
