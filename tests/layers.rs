//! Every nn layer against a plain formula, its gradients (input and parameters) against central
//! differences in f64, and its forward and gradients on the GPU against the CPU.

mod common;

use common::{Rng, assert_close, cpu, gpu_or_skip, values};
use wgrad::nn::{
    AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Embedding, Flatten, LayerNorm, MaxPool2d,
    Module, MultiheadAttention, Sequential,
};
use wgrad::{Conv2dOptions, DType, Device, Tensor, manual_seed};

fn input(shape: &[usize], seed: u64, device: &Device) -> Tensor {
    Tensor::randn(shape, DType::F32, seed, device).unwrap()
}

fn options(stride: usize, padding: usize, dilation: usize) -> Conv2dOptions {
    Conv2dOptions {
        stride,
        padding,
        dilation,
    }
}

/// Each layer with an input for it, built on `device` from fixed seeds.
fn layers(device: &Device) -> Vec<(&'static str, Box<dyn Module>, Tensor)> {
    manual_seed(11);
    let ids = Tensor::from_vec(vec![3i64, 0, 3, 6, 1, 5], &[2, 3], device).unwrap();
    vec![
        (
            "embedding",
            Box::new(Embedding::new(7, 4, device).unwrap()),
            ids,
        ),
        (
            "layer_norm",
            Box::new(LayerNorm::new(5, device).unwrap()),
            input(&[2, 3, 5], 1, device),
        ),
        (
            "dropout",
            Box::new(Dropout::new(0.4).unwrap()),
            input(&[4, 6], 2, device),
        ),
        (
            "conv2d",
            Box::new(Conv2d::new(2, 3, 3, device).unwrap()),
            input(&[2, 2, 5, 6], 3, device),
        ),
        (
            "conv2d_strided_padded_dilated",
            Box::new(
                Conv2d::new(2, 2, 2, device)
                    .unwrap()
                    .with_options(options(2, 1, 2)),
            ),
            input(&[1, 2, 6, 5], 4, device),
        ),
        (
            "max_pool2d",
            Box::new(MaxPool2d::new(2, None, 0)),
            input(&[2, 2, 4, 6], 5, device),
        ),
        (
            "max_pool2d_overlapping_padded",
            Box::new(MaxPool2d::new(3, Some(2), 1)),
            input(&[1, 2, 5, 5], 6, device),
        ),
        (
            "avg_pool2d",
            Box::new(AvgPool2d::new(2, Some(1), 1)),
            input(&[2, 1, 3, 4], 7, device),
        ),
        (
            "batch_norm1d",
            Box::new(BatchNorm1d::new(3, device).unwrap()),
            input(&[5, 3], 8, device),
        ),
        (
            "batch_norm2d",
            Box::new(BatchNorm2d::new(2, device).unwrap()),
            input(&[3, 2, 2, 3], 9, device),
        ),
        (
            "conv_pool_flatten",
            Box::new(
                Sequential::new()
                    .push(Conv2d::new(1, 2, 3, device).unwrap())
                    .push(MaxPool2d::new(2, None, 0))
                    .push(Flatten),
            ),
            input(&[2, 1, 6, 6], 10, device),
        ),
        (
            "causal_attention",
            Box::new(MultiheadAttention::new(6, 2, device).unwrap().causal(true)),
            input(&[2, 4, 6], 12, device),
        ),
    ]
}

/// `sum(layer(x) * r)` for a fixed random `r`, with dropout's masks fixed by a reseed.
fn loss(layer: &dyn Module, x: &Tensor) -> Tensor {
    manual_seed(99);
    let y = layer.forward(x).unwrap();
    let r = Tensor::randn(y.shape(), y.dtype(), 5, &y.device()).unwrap();
    y.mul(&r).unwrap().sum().unwrap()
}

/// The tensor with element `i` moved by `delta`.
fn nudged(t: &Tensor, i: usize, delta: f64) -> Tensor {
    let mut v = values(t);
    v[i] += delta;
    Tensor::from_vec(v, t.shape(), &cpu()).unwrap()
}

#[test]
fn gradients_of_inputs_and_parameters_match_central_differences() {
    let eps = 1e-6;
    let mut rng = Rng::new(3);
    for (name, layer, x) in layers(&cpu()) {
        layer.to_dtype(DType::F64).unwrap();
        let x = if x.dtype().is_float() {
            x.to_dtype(DType::F64).unwrap().requires_grad().unwrap()
        } else {
            x
        };
        loss(layer.as_ref(), &x).backward().unwrap();
        let numeric = |at: &dyn Fn(f64) -> Tensor| {
            let (up, down) = (at(eps), at(-eps));
            (values(&up)[0] - values(&down)[0]) / (2.0 * eps)
        };
        let check = |what: &str, analytic: &[f64], i: usize, numeric: f64| {
            assert!(
                (analytic[i] - numeric).abs() <= 1e-5 + 1e-3 * numeric.abs(),
                "{name}: d/d{what}[{i}] is {} by backward, {numeric} by differences",
                analytic[i]
            );
        };
        if x.dtype().is_float() {
            let analytic = values(&x.grad().expect("the input's gradient"));
            for _ in 0..10 {
                let i = rng.below(x.numel());
                let n = numeric(&|d| loss(layer.as_ref(), &nudged(&x.detach(), i, d)));
                check("x", &analytic, i, n);
            }
        }
        for (pname, p) in layer.named_parameters() {
            let original = p.get().detach();
            let analytic = values(&p.get().grad().expect("every parameter gets a gradient"));
            for _ in 0..10 {
                let i = rng.below(original.numel());
                let n = numeric(&|d| {
                    p.set(&nudged(&original, i, d)).unwrap();
                    loss(layer.as_ref(), &x.detach())
                });
                p.set(&original).unwrap();
                check(&pname, &analytic, i, n);
            }
        }
    }
}

#[test]
fn layers_agree_on_the_gpu_from_the_same_seed() {
    let Some(gpu) = gpu_or_skip() else { return };
    for ((name, on_cpu, x), (_, on_gpu, xg)) in layers(&cpu()).into_iter().zip(layers(&gpu)) {
        for ((pname, p), (_, q)) in on_cpu
            .named_parameters()
            .iter()
            .zip(on_gpu.named_parameters())
        {
            assert_eq!(
                values(&p.get()),
                values(&q.get()),
                "{name}.{pname}: seeds differ"
            );
        }
        let x = if x.dtype().is_float() {
            x.requires_grad().unwrap()
        } else {
            x
        };
        let xg = if xg.dtype().is_float() {
            xg.requires_grad().unwrap()
        } else {
            xg
        };
        let (l, lg) = (loss(on_cpu.as_ref(), &x), loss(on_gpu.as_ref(), &xg));
        assert_close(&values(&lg), &values(&l), 1e-4);
        l.backward().unwrap();
        lg.backward().unwrap();
        if let (Some(g), Some(gg)) = (x.grad(), xg.grad()) {
            assert_close(&values(&gg), &values(&g), 1e-4);
        }
        for ((pname, p), (_, q)) in on_cpu
            .named_parameters()
            .iter()
            .zip(on_gpu.named_parameters())
        {
            let (g, gg) = (p.get().grad().unwrap(), q.get().grad().unwrap());
            assert!(gg.device() == gpu, "{name}.{pname}: gradient left the GPU");
            assert_close(&values(&gg), &values(&g), 1e-4);
        }
    }
}

/// A direct convolution (or pooling, with `reduce` over each window's taps) over padded
/// inputs, written as the definition reads.
fn windows_direct(
    x: &Tensor,
    out_channels: usize,
    k: usize,
    o: Conv2dOptions,
    pad: f64,
    tap: &dyn Fn(usize, usize, usize, usize, f64) -> f64,
    finish: &dyn Fn(usize, Vec<f64>) -> f64,
) -> Vec<f64> {
    let &[n, c, h, w] = x.shape() else { panic!() };
    let xv = values(x);
    let side = |len: usize| (len + 2 * o.padding - o.dilation * (k - 1) - 1) / o.stride + 1;
    let (oh, ow) = (side(h), side(w));
    let mut out = Vec::new();
    for b in 0..n {
        for oc in 0..out_channels {
            for y in 0..oh {
                for xx in 0..ow {
                    let mut taps = Vec::new();
                    for ic in 0..c {
                        for ki in 0..k {
                            for kj in 0..k {
                                let r =
                                    (y * o.stride + ki * o.dilation) as isize - o.padding as isize;
                                let s =
                                    (xx * o.stride + kj * o.dilation) as isize - o.padding as isize;
                                let inside =
                                    (0..h as isize).contains(&r) && (0..w as isize).contains(&s);
                                let v = if inside {
                                    xv[((b * c + ic) * h + r as usize) * w + s as usize]
                                } else {
                                    pad
                                };
                                // NaN marks a tap the window does not use.
                                let t = tap(oc, ic, ki, kj, v);
                                if !t.is_nan() {
                                    taps.push(t);
                                }
                            }
                        }
                    }
                    out.push(finish(oc, taps));
                }
            }
        }
    }
    out
}

#[test]
fn conv2d_and_pooling_match_their_definitions() {
    let dev = cpu();
    for (k, o) in [
        (3, options(1, 0, 1)),
        (3, options(2, 1, 1)),
        (2, options(1, 2, 2)),
    ] {
        let conv = Conv2d::new(3, 4, k, &dev).unwrap().with_options(o);
        let x = input(&[2, 3, 7, 6], 20, &dev);
        let (wv, bv) = (values(&conv.weight.get()), values(&conv.bias.get()));
        let expected = windows_direct(
            &x,
            4,
            k,
            o,
            0.0,
            &|oc, ic, ki, kj, v| v * wv[((oc * 3 + ic) * k + ki) * k + kj],
            &|oc, taps| taps.iter().sum::<f64>() + bv[oc],
        );
        assert_close(&values(&conv.forward(&x).unwrap()), &expected, 1e-5);
    }
    let x = input(&[2, 3, 7, 6], 21, &dev);
    // Pooling keeps channels apart: each output channel reads its own input channel.
    for (k, stride, padding) in [(2, None, 0), (3, Some(2), 1), (3, Some(1), 0)] {
        let o = options(stride.unwrap_or(k), padding, 1);
        let own =
            |oc: usize, ic: usize, _: usize, _: usize, v: f64| if oc == ic { v } else { f64::NAN };
        let max = windows_direct(&x, 3, k, o, f64::NEG_INFINITY, &own, &|_, t| {
            t.into_iter().fold(f64::NEG_INFINITY, f64::max)
        });
        let pooled = MaxPool2d::new(k, stride, padding).forward(&x).unwrap();
        assert_close(&values(&pooled), &max, 1e-6);
        let mean = windows_direct(&x, 3, k, o, 0.0, &own, &|_, t| {
            t.iter().sum::<f64>() / t.len() as f64
        });
        let pooled = AvgPool2d::new(k, stride, padding).forward(&x).unwrap();
        assert_close(&values(&pooled), &mean, 1e-6);
    }
    let err = input(&[1, 2, 3, 3], 0, &dev)
        .conv2d(
            &input(&[4, 3, 3, 3], 1, &dev),
            None,
            Conv2dOptions::default(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("channels"), "{err}");
    let err = input(&[1, 1, 2, 2], 0, &dev)
        .max_pool2d(3, options(1, 0, 1))
        .unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
}

#[test]
fn embedding_layer_norm_and_dropout_match_their_definitions() {
    let dev = cpu();
    let table = Embedding::new(5, 3, &dev).unwrap();
    let ids = Tensor::from_vec(vec![4i64, 0, 4, 2], &[2, 2], &dev).unwrap();
    let (w, y) = (values(&table.weight.get()), table.forward(&ids).unwrap());
    assert_eq!(y.shape(), &[2, 2, 3]);
    let expected: Vec<f64> = [4, 0, 4, 2]
        .iter()
        .flat_map(|&i| w[i * 3..i * 3 + 3].to_vec())
        .collect();
    assert_eq!(values(&y), expected);
    let bad = Tensor::from_vec(vec![5i64], &[1], &dev).unwrap();
    assert!(
        table
            .forward(&bad)
            .unwrap_err()
            .to_string()
            .contains("out of range")
    );

    let norm = LayerNorm::new(4, &dev).unwrap();
    norm.weight.set(&input(&[4], 30, &dev)).unwrap();
    norm.bias.set(&input(&[4], 31, &dev)).unwrap();
    let x = input(&[3, 4], 32, &dev);
    let (xv, gv, bv) = (
        values(&x),
        values(&norm.weight.get()),
        values(&norm.bias.get()),
    );
    let mut expected = Vec::new();
    for row in xv.chunks(4) {
        let mean = row.iter().sum::<f64>() / 4.0;
        let var = row.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 4.0;
        expected.extend((0..4).map(|j| (row[j] - mean) / (var + 1e-5).sqrt() * gv[j] + bv[j]));
    }
    assert_close(&values(&norm.forward(&x).unwrap()), &expected, 1e-5);

    let drop = Dropout::new(0.3).unwrap();
    let x = input(&[100, 100], 33, &dev);
    let y = values(&drop.forward(&x).unwrap());
    let zeros = y.iter().filter(|v| **v == 0.0).count() as f64 / 1e4;
    assert!((zeros - 0.3).abs() < 0.02, "dropped {zeros}");
    for (a, b) in values(&x).iter().zip(&y) {
        assert!(*b == 0.0 || (b - a / 0.7).abs() < 1e-5);
    }
    drop.eval();
    assert_eq!(values(&drop.forward(&x).unwrap()), values(&x));
    assert!(Dropout::new(1.5).is_err());
}

#[test]
fn batch_norm_tracks_running_statistics_and_uses_them_in_eval() {
    let dev = cpu();
    let bn = BatchNorm2d::new(2, &dev).unwrap();
    let x = input(&[4, 2, 3, 3], 40, &dev)
        .mul_scalar(2.0)
        .unwrap()
        .add_scalar(1.0)
        .unwrap();
    let y = bn.forward(&x).unwrap();
    let (xv, yv) = (values(&x), values(&y));
    let channel = |v: &[f64], c: usize| -> Vec<f64> {
        (0..4)
            .flat_map(|n| v[(n * 2 + c) * 9..(n * 2 + c) * 9 + 9].to_vec())
            .collect()
    };
    let mut running = Vec::new();
    for c in 0..2 {
        let (xs, ys) = (channel(&xv, c), channel(&yv, c));
        let mean = xs.iter().sum::<f64>() / 36.0;
        let var = xs.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 36.0;
        for (a, b) in xs.iter().zip(&ys) {
            assert!((b - (a - mean) / (var + 1e-5).sqrt()).abs() < 1e-4);
        }
        running.push((0.1 * mean, 0.9 + 0.1 * var * 36.0 / 35.0));
    }
    let (rm, rv) = (
        values(&bn.running_mean.get()),
        values(&bn.running_var.get()),
    );
    for c in 0..2 {
        assert!((rm[c] - running[c].0).abs() < 1e-5 && (rv[c] - running[c].1).abs() < 1e-5);
    }
    assert_eq!(values(&bn.num_batches_tracked.get()), [1.0]);
    bn.eval();
    let y = values(&bn.forward(&x).unwrap());
    for c in 0..2 {
        let (xs, ys) = (channel(&xv, c), channel(&y, c));
        for (a, b) in xs.iter().zip(&ys) {
            assert!((b - (a - rm[c]) / (rv[c] + 1e-5).sqrt()).abs() < 1e-4);
        }
    }
    assert_eq!(
        values(&bn.num_batches_tracked.get()),
        [1.0],
        "eval does not count"
    );
    bn.train();
    let one = input(&[1, 2, 1, 1], 41, &dev);
    assert!(
        bn.forward(&one)
            .unwrap_err()
            .to_string()
            .contains("more than one value")
    );
    assert!(
        BatchNorm1d::new(3, &dev)
            .unwrap()
            .forward(&input(&[2, 3, 4, 5], 0, &dev))
            .is_err()
    );
}

#[test]
fn causal_attention_matches_softmax_of_scaled_scores_and_never_looks_ahead() {
    let dev = cpu();
    let (t, e, h) = (4, 6, 2);
    let attn = MultiheadAttention::new(e, h, &dev).unwrap().causal(true);
    attn.in_proj_bias.set(&input(&[3 * e], 50, &dev)).unwrap();
    let x = input(&[1, t, e], 51, &dev);
    let (y, weights) = attn.attend(&x).unwrap();
    assert_eq!(
        (y.shape(), weights.shape()),
        (&[1, t, e][..], &[1, h, t, t][..])
    );
    let (xv, w, b) = (
        values(&x),
        values(&attn.in_proj_weight.get()),
        values(&attn.in_proj_bias.get()),
    );
    let project = |which: usize, i: usize, j: usize| -> f64 {
        let row = which * e + j;
        (0..e).map(|k| xv[i * e + k] * w[row * e + k]).sum::<f64>() + b[row]
    };
    let d = e / h;
    let wv = values(&weights);
    let mut mixed = vec![0.0; t * e];
    for head in 0..h {
        for i in 0..t {
            let scores: Vec<f64> = (0..=i)
                .map(|j| {
                    (0..d)
                        .map(|c| project(0, i, head * d + c) * project(1, j, head * d + c))
                        .sum::<f64>()
                        / (d as f64).sqrt()
                })
                .collect();
            let top = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = scores.iter().map(|s| (s - top).exp()).sum();
            for j in 0..t {
                let expected = if j <= i {
                    (scores[j] - top).exp() / total
                } else {
                    0.0
                };
                let got = wv[(head * t + i) * t + j];
                assert!(
                    (got - expected).abs() < 1e-5,
                    "head {head} row {i} col {j}: {got} vs {expected}"
                );
                for c in 0..d {
                    mixed[i * e + head * d + c] += expected * project(2, j, head * d + c);
                }
            }
        }
    }
    let (ow, ob) = (
        values(&attn.out_proj.weight.get()),
        values(&attn.out_proj.bias.get()),
    );
    let expected: Vec<f64> = (0..t * e)
        .map(|n| {
            (0..e)
                .map(|k| mixed[n / e * e + k] * ow[n % e * e + k])
                .sum::<f64>()
                + ob[n % e]
        })
        .collect();
    assert_close(&values(&y), &expected, 1e-5);
    assert!(MultiheadAttention::new(6, 4, &dev).is_err());
}
