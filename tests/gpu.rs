//! Every op on the GPU against the CPU reference, forward, backward and double backward, on random
//! inputs of several shapes: sizes that are not multiples of the workgroup size, broadcasting, transposed
//! views, and one tensor over 32M elements. Tolerances: f32 1e-5 relative (1e-4 for long
//! reductions and matmul), f16 1e-2.
//!
//! Without a GPU adapter these tests print why and pass, unless WGRAD_REQUIRE_GPU=1 (CI sets it).

mod common;

use common::{cpu, gpu_or_skip, values};
use wgrad::{Conv2dOptions, DType, Device, GradOptions, Result, Tensor, grad};

type Unary = fn(&Tensor) -> Result<Tensor>;
type Binary = fn(&Tensor, &Tensor) -> Result<Tensor>;

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, DType::F32, seed, &cpu()).unwrap()
}

fn assert_close(what: &str, gpu: &Tensor, cpu: &Tensor, tol: f64) {
    assert_eq!(gpu.shape(), cpu.shape(), "{what}: shape");
    assert_eq!(gpu.dtype(), cpu.dtype(), "{what}: dtype");
    for (i, (g, c)) in values(gpu).iter().zip(values(cpu)).enumerate() {
        let ok = *g == c || (g - c).abs() <= tol * (1.0 + c.abs()) || (g.is_nan() && c.is_nan());
        assert!(
            ok,
            "{what}: element {i} is {g} on the GPU and {c} on the CPU (tolerance {tol})"
        );
    }
}

/// Runs `f` on the CPU and on the GPU, compares the outputs, then backpropagates a random
/// weighting of the output and compares the gradients of every floating-point input.
fn check(
    gpu: &Device,
    name: &str,
    f: impl Fn(&[Tensor]) -> Result<Tensor>,
    inputs: &[Tensor],
    tol: f64,
) {
    let leaves = |device: &Device| -> Vec<Tensor> {
        inputs
            .iter()
            .map(|t| {
                let moved = t.to(device).unwrap();
                if t.dtype().is_float() {
                    moved.requires_grad().unwrap()
                } else {
                    moved
                }
            })
            .collect()
    };
    let (on_cpu, on_gpu) = (leaves(&cpu()), leaves(gpu));
    let (out_cpu, out_gpu) = (f(&on_cpu).unwrap(), f(&on_gpu).unwrap());
    assert_eq!(
        out_gpu.device(),
        *gpu,
        "{name}: the result stays on the GPU"
    );
    assert_close(name, &out_gpu, &out_cpu, tol);
    if !out_cpu.needs_grad() {
        return;
    }
    let weights = Tensor::randn(out_cpu.shape(), out_cpu.dtype(), 99, &cpu()).unwrap();
    let loss = |out: &Tensor, device: &Device| -> Tensor {
        let weights = weights.to(device).unwrap();
        let loss = out.mul(&weights).unwrap().sum().unwrap();
        loss.backward_with(None, true).unwrap();
        loss
    };
    let (loss_cpu, loss_gpu) = (loss(&out_cpu, &cpu()), loss(&out_gpu, gpu));
    for (i, (c, g)) in on_cpu.iter().zip(&on_gpu).enumerate() {
        if let (Some(gc), Some(gg)) = (c.grad(), g.grad()) {
            assert_eq!(
                gg.device(),
                *gpu,
                "{name}: the gradient of input {i} stays on the GPU"
            );
            assert_close(&format!("{name}: gradient of input {i}"), &gg, &gc, tol);
        }
    }
    let (second_cpu, second_gpu) = (
        second_order(&loss_cpu, &on_cpu, &cpu()),
        second_order(&loss_gpu, &on_gpu, gpu),
    );
    for (i, (c, g)) in second_cpu.iter().zip(&second_gpu).enumerate() {
        match (c, g) {
            (Some(c), Some(g)) => assert_close(
                &format!("{name}: second derivative of input {i}"),
                g,
                c,
                tol,
            ),
            (None, None) => {}
            _ => panic!("{name}: input {i} is used on one device only"),
        }
    }
}

/// The gradient of `<d loss / d inputs, u>` for a random direction `u`: one row of the Hessian
/// of `loss`, through every op's double backward, by `create_graph`.
fn second_order(loss: &Tensor, inputs: &[Tensor], device: &Device) -> Vec<Option<Tensor>> {
    let float: Vec<&Tensor> = inputs.iter().filter(|t| t.dtype().is_float()).collect();
    let recorded = GradOptions::new().create_graph(true).allow_unused(true);
    let first = grad(&[loss], &float, None, &recorded).unwrap();
    let mut directional: Option<Tensor> = None;
    for (i, g) in first.iter().enumerate() {
        let Some(g) = g else { continue };
        assert!(g.needs_grad(), "a recorded gradient is attached");
        let u = Tensor::randn(g.shape(), g.dtype(), 200 + i as u64, &cpu()).unwrap();
        let term = g.mul(&u.to(device).unwrap()).unwrap().sum().unwrap();
        directional = Some(match directional {
            Some(sum) => sum.add(&term).unwrap(),
            None => term,
        });
    }
    match directional {
        Some(d) => grad(&[&d], &float, None, &GradOptions::new().allow_unused(true)).unwrap(),
        None => Vec::new(),
    }
}

#[test]
fn gpu_elementwise_ops_forward_and_backward() {
    let Some(gpu) = gpu_or_skip() else { return };
    let shapes: [(&[usize], &[usize]); 4] = [
        (&[7, 37], &[7, 37]),
        (&[5, 1, 3], &[4, 3]),
        (&[300], &[]),
        (&[2, 3, 4], &[3, 1]),
    ];
    for (i, (a, b)) in shapes.into_iter().enumerate() {
        let seed = i as u64 * 10;
        let (x, y) = (randn(a, seed), randn(b, seed + 1));
        let positive = Tensor::rand(b, DType::F32, seed + 2, &cpu())
            .unwrap()
            .add_scalar(0.5)
            .unwrap();
        check(
            &gpu,
            "add",
            |t| t[0].add(&t[1]),
            &[x.clone(), y.clone()],
            1e-5,
        );
        check(
            &gpu,
            "sub",
            |t| t[0].sub(&t[1]),
            &[x.clone(), y.clone()],
            1e-5,
        );
        check(
            &gpu,
            "add_scaled",
            |t| t[0].add_scaled(&t[1], -1.7),
            &[x.clone(), y.clone()],
            1e-5,
        );
        check(
            &gpu,
            "mul",
            |t| t[0].mul(&t[1]),
            &[x.clone(), y.clone()],
            1e-5,
        );
        check(
            &gpu,
            "div",
            |t| t[0].div(&t[1]),
            &[x.clone(), positive.clone()],
            1e-5,
        );
        check(
            &gpu,
            "where",
            |t| t[0].gt(&t[1])?.where_cond(&t[0], &t[1]),
            &[x.clone(), y.clone()],
            1e-5,
        );
    }
    let x = randn(&[9, 29], 40).mul_scalar(2.0).unwrap();
    let p = Tensor::rand(&[9, 29], DType::F32, 41, &cpu())
        .unwrap()
        .add_scalar(0.5)
        .unwrap();
    let unary: [(&str, Unary); 25] = [
        ("neg", Tensor::neg),
        ("exp", Tensor::exp),
        ("abs", Tensor::abs),
        ("tanh", Tensor::tanh),
        ("sigmoid", Tensor::sigmoid),
        ("relu", Tensor::relu),
        ("gelu", Tensor::gelu),
        ("pow 3", |t| t.pow(3.0)),
        ("pow 2", |t| t.pow(2.0)),
        ("pow -3", |t| t.pow(-3.0)),
        ("scalar ops", |t| t.add_scalar(1.5)?.mul_scalar(-0.25)),
        ("sin", Tensor::sin),
        ("cos", Tensor::cos),
        ("expm1", Tensor::expm1),
        ("square", Tensor::square),
        ("sign", Tensor::sign),
        ("silu", Tensor::silu),
        ("softplus", Tensor::softplus),
        ("leaky_relu", |t| t.leaky_relu(0.1)),
        ("elu", |t| t.elu(0.7)),
        ("clamp", |t| t.clamp(Some(-0.5), Some(0.8))),
        ("clamp above", |t| t.clamp(None, Some(0.3))),
        ("more scalar ops", |t| {
            t.sub_scalar(1.5)?.div_scalar(-2.0)?.rsub(0.5)
        }),
        ("maximum", |t| t.maximum(&t.sin()?)),
        ("minimum", |t| t.minimum(&t.cos()?)),
    ];
    for (name, f) in unary {
        check(&gpu, name, |t| f(&t[0]), std::slice::from_ref(&x), 1e-5);
        check(
            &gpu,
            &format!("{name} of a transposed view"),
            |t| f(&t[0].transpose(0, 1)?),
            std::slice::from_ref(&x),
            1e-5,
        );
    }
    check(&gpu, "log", |t| t[0].log(), std::slice::from_ref(&p), 1e-5);
    check(
        &gpu,
        "sqrt",
        |t| t[0].sqrt(),
        std::slice::from_ref(&p),
        1e-5,
    );
    check(
        &gpu,
        "pow -1.5",
        |t| t[0].pow(-1.5),
        std::slice::from_ref(&p),
        1e-5,
    );
    let positive: [(&str, Unary); 4] = [
        ("log1p", Tensor::log1p),
        ("reciprocal", Tensor::reciprocal),
        ("rsqrt", Tensor::rsqrt),
        ("rdiv", |t| t.rdiv(2.5)),
    ];
    for (name, f) in positive {
        check(&gpu, name, |t| f(&t[0]), std::slice::from_ref(&p), 1e-5);
    }
    // Small arguments, where the naive ln(1 + x) and e^x - 1 lose most digits in f32; scaled
    // back to about 1 so that the tolerance is relative.
    let tiny = p.mul_scalar(1e-6).unwrap();
    check(
        &gpu,
        "log1p of tiny",
        |t| t[0].log1p()?.mul_scalar(1e6),
        std::slice::from_ref(&tiny),
        1e-5,
    );
    check(
        &gpu,
        "expm1 of tiny",
        |t| t[0].expm1()?.mul_scalar(1e6),
        std::slice::from_ref(&tiny),
        1e-5,
    );
    check(
        &gpu,
        "maximum and minimum, broadcast",
        |t| t[0].maximum(&t[1])?.minimum(&t[1].mul_scalar(2.0)?),
        &[x.clone(), randn(&[29], 42)],
        1e-5,
    );
    check(
        &gpu,
        "to the CPU and back",
        |t| t[0].to(&cpu())?.tanh()?.to(&t[0].device())?.sigmoid(),
        &[x],
        1e-5,
    );
}

#[test]
fn gpu_reductions_matmul_and_shape_ops() {
    let Some(gpu) = gpu_or_skip() else { return };
    for (shape, axis) in [
        (&[1000][..], 0),
        (&[37, 300][..], 1),
        (&[4, 33, 5][..], 0),
        (&[3, 70_000][..], -1),
        (&[300, 37][..], 0),
        (&[2, 40_000, 3][..], 1),
    ] {
        let x = randn(shape, 50);
        check(&gpu, "sum", |t| t[0].sum(), std::slice::from_ref(&x), 1e-4);
        check(
            &gpu,
            "mean axis",
            |t| t[0].mean_axis(axis, false),
            std::slice::from_ref(&x),
            1e-4,
        );
        check(
            &gpu,
            "sum axis keepdim",
            |t| t[0].sum_axis(axis, true),
            std::slice::from_ref(&x),
            1e-4,
        );
        check(&gpu, "max", |t| t[0].max(), std::slice::from_ref(&x), 1e-6);
        check(
            &gpu,
            "max axis",
            |t| t[0].max_axis(axis, true),
            std::slice::from_ref(&x),
            1e-6,
        );
        check(
            &gpu,
            "argmax",
            |t| t[0].argmax(axis, false),
            std::slice::from_ref(&x),
            0.0,
        );
    }
    // The last four have rows of whole vec4s (matmul_vec4.wgsl), with ragged edges, a column
    // count of 4 mod 8 and broadcast batches.
    let cases: [(&[usize], &[usize]); 7] = [
        (&[65, 33], &[33, 70]),
        (&[3, 17, 9], &[3, 9, 130]),
        (&[2, 5, 64], &[64, 3]),
        (&[128, 128], &[128, 128]),
        (&[3, 37, 12], &[12, 20]),
        (&[70, 8], &[2, 8, 68]),
        (&[1, 4], &[4, 4]),
    ];
    for (i, (a, b)) in cases.into_iter().enumerate() {
        check(
            &gpu,
            "matmul",
            |t| t[0].matmul(&t[1]),
            &[randn(a, 60 + i as u64), randn(b, 70 + i as u64)],
            1e-4,
        );
    }
    check(
        &gpu,
        "matmul of a view that starts inside its buffer",
        |t| t[0].narrow(0, 4, 30)?.matmul(&t[1].narrow(1, 8, 12)?),
        &[randn(&[40, 16], 82), randn(&[16, 24], 83)],
        1e-4,
    );
    check(
        &gpu,
        "matmul of transposed views",
        |t| t[0].transpose(0, 1)?.matmul(&t[1].transpose(0, 1)?),
        &[randn(&[40, 30], 80), randn(&[20, 40], 81)],
        1e-4,
    );
    let x = randn(&[4, 6, 5], 90);
    check(
        &gpu,
        "reshape of a permuted view",
        |t| t[0].permute(&[2, 0, 1])?.reshape(&[5, 24]),
        std::slice::from_ref(&x),
        0.0,
    );
    check(
        &gpu,
        "broadcast_to",
        |t| t[0].narrow(1, 2, 1)?.broadcast_to(&[4, 6, 5]),
        std::slice::from_ref(&x),
        1e-6,
    );
    check(
        &gpu,
        "narrow",
        |t| t[0].narrow(2, 1, 3),
        std::slice::from_ref(&x),
        0.0,
    );
    check(
        &gpu,
        "matmul of 1-D and 4-D operands",
        |t| t[1].matmul(&t[0].matmul(&t[2])?)?.sum_axis(-1, false),
        &[
            randn(&[2, 1, 3, 4], 91),
            randn(&[3], 92),
            randn(&[5, 4, 2], 93),
        ],
        1e-4,
    );
    for dtype in [DType::I32, DType::I64] {
        let index = Tensor::from_vec(vec![4i64, 0, 4, 2, 1, 1, 3, 0], &[2, 4], &cpu())
            .unwrap()
            .to_dtype(dtype)
            .unwrap();
        let ids = index.reshape(&[8]).unwrap();
        check(
            &gpu,
            &format!("gather and scatter_add, {dtype} indices"),
            |t| t[0].gather(1, &t[2])?.mul(&t[1])?.sum_axis(0, true),
            &[randn(&[2, 5], 94), randn(&[2, 4], 95), index.clone()],
            1e-5,
        );
        check(
            &gpu,
            &format!("scatter_add, {dtype} indices"),
            |t| t[0].scatter_add(1, &t[2], &t[1]),
            &[randn(&[2, 5], 96), randn(&[2, 4], 97), index],
            1e-5,
        );
        check(
            &gpu,
            &format!("index_select of a view, {dtype} indices"),
            |t| t[0].transpose(0, 1)?.index_select(0, &t[1]),
            &[randn(&[3, 5], 98), ids],
            1e-5,
        );
    }
    let strided = Conv2dOptions {
        stride: 2,
        padding: 1,
        dilation: 1,
    };
    check(
        &gpu,
        "conv2d, max and average pooling",
        |t| {
            let y = t[0].conv2d(&t[1], Some(&t[2]), strided)?.tanh()?;
            y.max_pool2d(2, Conv2dOptions::default())?
                .add(&y.avg_pool2d(2, Conv2dOptions::default())?)
        },
        &[
            randn(&[2, 3, 9, 8], 102),
            randn(&[4, 3, 3, 3], 103),
            randn(&[4], 104),
        ],
        1e-4,
    );
    check(
        &gpu,
        "cumsum along each axis",
        |t| t[0].cumsum(0)?.mul(&t[0].cumsum(-1)?),
        &[randn(&[9, 6], 101)],
        1e-5,
    );
    check(
        &gpu,
        "sort and topk",
        |t| {
            let (sorted, _) = t[0].sort(1, true)?;
            let (top, at) = t[0].topk(3, 0, false)?;
            sorted
                .sum_axis(0, false)?
                .add(&top.mul(&at.to_dtype(DType::F32)?)?.sum_axis(0, false)?)
        },
        &[randn(&[9, 6], 100)],
        1e-5,
    );
    check(
        &gpu,
        "masked_fill",
        |t| t[0].masked_fill(&t[0].gt_scalar(0.3)?, -2.0),
        &[randn(&[4, 6], 99)],
        1e-5,
    );
    check(
        &gpu,
        "axes",
        |t| {
            let parts = t[0]
                .unsqueeze(1)?
                .expand(&[-1, 3, -1])?
                .flatten(0, 1)?
                .chunk(4, 0)?;
            Tensor::stack(
                &[&parts[0].squeeze_all().sin()?, &parts[1].squeeze_all()],
                0,
            )?
            .reshape_infer(&[-1])
        },
        &[randn(&[8, 5], 90)],
        1e-5,
    );
    check(
        &gpu,
        "cat",
        |t| Tensor::cat(&[&t[0], &t[1].transpose(0, 1)?], 1),
        &[randn(&[3, 4], 91), randn(&[2, 3], 92)],
        0.0,
    );
    check(
        &gpu,
        "softmax",
        |t| t[0].softmax(-1),
        std::slice::from_ref(&x),
        1e-5,
    );
    check(
        &gpu,
        "log_softmax",
        |t| t[0].log_softmax(1),
        std::slice::from_ref(&x),
        1e-5,
    );
    let labels = Tensor::from_vec(vec![2i64, 0, 4, 1, 3, 3, 0], &[7], &cpu()).unwrap();
    check(
        &gpu,
        "cross_entropy",
        |t| t[0].cross_entropy(&t[1]),
        &[randn(&[7, 5], 93), labels],
        1e-5,
    );
    let statistics: [(&str, Unary); 9] = [
        ("min", Tensor::min),
        ("min axis", |t| t.min_axis(1, true)),
        ("var axis", |t| t.var_axis(0, 1.0, false)),
        ("std", |t| t.std(0.0)),
        ("logsumexp", |t| t.logsumexp(-1, false)),
        ("norm 2 axis", |t| t.norm_axis(2.0, 1, false)),
        ("norm 3", |t| t.norm(3.0)),
        ("argmin", |t| t.argmin(1, false)),
        ("prod along a row", |t| {
            t.mul_scalar(0.5)?.add_scalar(1.0)?.prod_axis(1, false)
        }),
    ];
    for (name, f) in statistics {
        check(&gpu, name, |t| f(&t[0]), &[randn(&[7, 5], 96)], 1e-4);
    }
    let labels = Tensor::from_vec(vec![2i64, 0, 4, 1, 3, 3, 0], &[7], &cpu()).unwrap();
    let options = wgrad::CrossEntropyOptions {
        ignore_index: Some(3),
        label_smoothing: 0.1,
        reduction: wgrad::Reduction::Sum,
    };
    check(
        &gpu,
        "cross_entropy with options",
        |t| t[0].cross_entropy_with(&t[1], &options),
        &[randn(&[7, 5], 97), labels],
        1e-5,
    );
    let classes = Tensor::from_vec(vec![2i64, 0, 4, 1, 3, 3, 0], &[7], &cpu()).unwrap();
    check(
        &gpu,
        "nll_loss and one_hot",
        |t| {
            let picked = t[0].mul(&t[1].one_hot(5)?.to_dtype(DType::F32)?)?;
            t[0].nll_loss(&t[1], wgrad::Reduction::Sum)?
                .add(&picked.sum()?)
        },
        &[randn(&[7, 5], 102), classes],
        1e-5,
    );
    let probabilities = Tensor::rand(&[7, 5], DType::F32, 98, &cpu()).unwrap();
    let losses: [(&str, Binary); 4] = [
        ("l1_loss", |a, b| a.l1_loss(b, wgrad::Reduction::Mean)),
        ("smooth_l1_loss", |a, b| {
            a.smooth_l1_loss(b, 0.5, wgrad::Reduction::Sum)
        }),
        ("huber_loss", |a, b| {
            a.huber_loss(b, 0.7, wgrad::Reduction::None)
        }),
        ("bce with logits", |a, b| {
            a.binary_cross_entropy_with_logits(b, wgrad::Reduction::Mean)
        }),
    ];
    for (name, f) in losses {
        check(
            &gpu,
            name,
            |t| f(&t[0], &t[1]),
            &[randn(&[7, 5], 99), probabilities.clone()],
            1e-5,
        );
    }
    check(
        &gpu,
        "mse_loss",
        |t| t[0].mse_loss(&t[1]),
        &[randn(&[7, 5], 94), randn(&[7, 5], 95)],
        1e-5,
    );
}

#[test]
fn gpu_dtypes_casts_comparisons_and_complex() {
    let Some(gpu) = gpu_or_skip() else { return };
    let x = randn(&[5, 51], 100).mul_scalar(3.0).unwrap();
    // Casts among every GPU dtype, and comparisons producing bools.
    for dtype in [DType::F16, DType::I32, DType::I64, DType::Bool] {
        check(
            &gpu,
            &format!("to {dtype}"),
            |t| t[0].to_dtype(dtype),
            std::slice::from_ref(&x),
            1e-3,
        );
        check(
            &gpu,
            &format!("to {dtype} and back"),
            |t| t[0].to_dtype(dtype)?.to_dtype(DType::F32),
            std::slice::from_ref(&x),
            1e-3,
        );
    }
    let ints = x.to_dtype(DType::I32).unwrap();
    let row = ints.narrow(0, 1, 1).unwrap();
    for (name, f) in [
        ("eq", Tensor::eq as Binary),
        ("ne", Tensor::ne),
        ("lt", Tensor::lt),
        ("le", Tensor::le),
        ("gt", Tensor::gt),
        ("ge", Tensor::ge),
        ("maximum", Tensor::maximum),
        ("minimum", Tensor::minimum),
    ] {
        check(
            &gpu,
            name,
            |t| f(&t[0], &t[1]),
            &[ints.clone(), row.clone()],
            0.0,
        );
        check(
            &gpu,
            &format!("{name} i64"),
            |t| f(&t[0].to_dtype(DType::I64)?, &t[1].to_dtype(DType::I64)?),
            &[ints.clone(), row.clone()],
            0.0,
        );
        check(
            &gpu,
            &format!("{name} f32"),
            |t| f(&t[0], &t[1]),
            &[x.clone(), x.narrow(1, 3, 1).unwrap()],
            // Exact values; maximum's and minimum's gradients sum over the broadcast axis.
            1e-6,
        );
    }
    let special = Tensor::from_vec(
        vec![
            1.5f32,
            f32::NAN,
            f32::INFINITY,
            -0.0,
            f32::NEG_INFINITY,
            -2.0,
        ],
        &[6],
        &cpu(),
    )
    .unwrap();
    let tests: [(&str, Unary); 11] = [
        ("isnan", Tensor::isnan),
        ("isfinite", Tensor::isfinite),
        ("gt_scalar", |t| t.gt_scalar(0.0)),
        ("le_scalar", |t| t.le_scalar(-2.0)),
        ("logical", |t| {
            let (p, q) = (t.gt_scalar(0.0)?, t.isfinite()?);
            p.logical_and(&q)?
                .logical_or(&p.logical_not()?.logical_and(&t.isnan()?)?)
        }),
        ("maximum with NaN", |t| t.maximum(&t.neg()?)),
        ("clamp with NaN", |t| t.clamp(Some(-1.0), Some(1.0))),
        ("argmax with NaN, a short row", |t| t.argmax(0, false)),
        ("argsort with NaN", |t| t.argsort(0, false)),
        ("argsort descending with NaN", |t| t.argsort(0, true)),
        ("argmax with NaN, a long row", |t| {
            t.reshape(&[1, 6])?
                .broadcast_to(&[50, 6])?
                .reshape(&[1, 300])?
                .argmax(1, false)
        }),
    ];
    for (name, f) in tests {
        check(
            &gpu,
            name,
            |t| f(&t[0]),
            std::slice::from_ref(&special),
            0.0,
        );
    }
    check(
        &gpu,
        "argmax i32",
        |t| t[0].argmax(1, true),
        std::slice::from_ref(&ints),
        0.0,
    );
    check(
        &gpu,
        "sum i32 into i64",
        |t| t[0].sum_axis(0, false),
        std::slice::from_ref(&ints),
        0.0,
    );
    check(
        &gpu,
        "count of a bool",
        |t| t[0].gt(&t[1])?.sum(),
        &[x.clone(), x.narrow(0, 2, 1).unwrap()],
        0.0,
    );
    check(
        &gpu,
        "add i32",
        |t| t[0].add(&t[1])?.mul(&t[1]),
        &[ints.clone(), row.clone()],
        0.0,
    );
    // f16 compute, with f16's tolerance.
    let h = x.mul_scalar(0.3).unwrap().to_dtype(DType::F16).unwrap();
    for (name, f) in [
        ("exp", Tensor::exp as Unary),
        ("tanh", Tensor::tanh),
        ("relu", Tensor::relu),
        ("sum", Tensor::sum),
    ] {
        check(
            &gpu,
            &format!("f16 {name}"),
            |t| f(&t[0]),
            std::slice::from_ref(&h),
            1e-2,
        );
    }
    check(
        &gpu,
        "f16 matmul of vec4 rows",
        |t| {
            t[0].narrow(1, 0, 12)?.contiguous()?.matmul(
                &t[0]
                    .narrow(0, 1, 4)?
                    .narrow(1, 0, 12)?
                    .transpose(0, 1)?
                    .contiguous()?,
            )
        },
        std::slice::from_ref(&h),
        1e-2,
    );
    check(
        &gpu,
        "f16 matmul",
        |t| t[0].matmul(&t[1]),
        &[
            h.narrow(1, 0, 20).unwrap(),
            h.transpose(0, 1).unwrap().narrow(0, 0, 20).unwrap(),
        ],
        1e-2,
    );
    // complex64 as vec2<f32>.
    let z = Tensor::from_vec(
        (0..24)
            .map(|i| num_complex::Complex32::new((i as f32 * 0.7).sin(), (i as f32 * 1.3).cos()))
            .collect(),
        &[4, 6],
        &cpu(),
    )
    .unwrap();
    let w = z
        .transpose(0, 1)
        .unwrap()
        .contiguous()
        .unwrap()
        .reshape(&[4, 6])
        .unwrap();
    for (name, f) in [
        ("add", Tensor::add as Binary),
        ("add_scaled", |a, b| a.add_scaled(b, -0.3)),
        ("sub", Tensor::sub),
        ("mul", Tensor::mul),
        ("div", Tensor::div),
    ] {
        let on_gpu = f(&z.to(&gpu).unwrap(), &w.to(&gpu).unwrap())
            .unwrap()
            .to(&cpu())
            .unwrap()
            .to_ndarray::<num_complex::Complex32>()
            .unwrap();
        let on_cpu = f(&z, &w)
            .unwrap()
            .to_ndarray::<num_complex::Complex32>()
            .unwrap();
        for (g, c) in on_gpu.iter().zip(&on_cpu) {
            assert!(
                (g - c).norm() <= 1e-5 * (1.0 + c.norm()),
                "complex {name}: {g} vs {c}"
            );
        }
    }
    assert_eq!(
        z.to(&gpu)
            .unwrap()
            .neg()
            .unwrap()
            .to(&cpu())
            .unwrap()
            .to_ndarray::<num_complex::Complex32>()
            .unwrap(),
        z.neg()
            .unwrap()
            .to_ndarray::<num_complex::Complex32>()
            .unwrap()
    );
}

#[test]
fn gpu_fused_kernels_handle_ragged_ends() {
    let Some(gpu) = gpu_or_skip() else { return };
    // Same-shape contiguous operands join the fusion queue, whose kernel works on vec4s; lengths
    // around multiples of 4 check that the last, partial vec4 computes the right values.
    for n in [1, 3, 4, 5, 1023] {
        let (x, y) = (randn(&[n], 130 + n as u64), randn(&[n], 140 + n as u64));
        check(
            &gpu,
            &format!("add {n}"),
            |t| t[0].add(&t[1]),
            &[x.clone(), y.clone()],
            1e-5,
        );
        check(
            &gpu,
            &format!("where of lt {n}"),
            |t| t[0].lt(&t[1])?.where_cond(&t[0], &t[1].tanh()?),
            &[x.clone(), y.clone()],
            1e-5,
        );
        for dtype in [DType::F16, DType::I32, DType::Bool] {
            check(
                &gpu,
                &format!("{dtype} and back {n}"),
                |t| t[0].mul_scalar(4.0)?.to_dtype(dtype)?.to_dtype(DType::F32),
                std::slice::from_ref(&x),
                1e-3,
            );
        }
    }
}

/// `x` on the GPU, computed by `f` there, read back; beside `f` on the CPU.
fn on_both(x: &Tensor, f: impl Fn(&Tensor) -> Result<Vec<Tensor>>, gpu: &Device) {
    let (on_gpu, on_cpu) = (f(&x.to(gpu).unwrap()).unwrap(), f(x).unwrap());
    for (i, (g, c)) in on_gpu.iter().zip(&on_cpu).enumerate() {
        assert_close(&format!("result {i}"), g, c, 1e-5);
    }
}

#[test]
fn gpu_fusion_keeps_every_live_result_and_orders_other_work_after_it() {
    let Some(gpu) = gpu_or_skip() else { return };
    let x = randn(&[1001], 160);
    // Intermediates kept alive, others dropped, and a detour through f16 and a comparison: every
    // tensor still held reads back as if each op had run alone.
    on_both(
        &x,
        |x| {
            let e = x.tanh()?;
            let product = e.mul(x)?;
            let half = product.to_dtype(DType::F16)?.to_dtype(DType::F32)?;
            let mask = half.gt(&e)?;
            let picked = mask.where_cond(&half, &x.neg()?)?;
            Ok(vec![e, picked.add(&product)?])
        },
        &gpu,
    );
    // Longer than one fused kernel holds.
    on_both(
        &x,
        |x| {
            let mut acc = x.clone();
            for i in 0..100 {
                acc = acc.mul_scalar(0.99)?.add(&x.mul_scalar(i as f64 * 1e-3)?)?;
            }
            Ok(vec![acc])
        },
        &gpu,
    );
    // More distinct inputs than one kernel may bind.
    let many: Vec<Tensor> = (0..40).map(|i| randn(&[37], 200 + i)).collect();
    let gpu_many: Vec<Tensor> = many.iter().map(|t| t.to(&gpu).unwrap()).collect();
    let total = |ts: &[Tensor]| ts[1..].iter().try_fold(ts[0].clone(), |acc, t| acc.add(t));
    assert_close(
        "sum of 40 tensors",
        &total(&gpu_many).unwrap(),
        &total(&many).unwrap(),
        1e-5,
    );
    // Queued results read by other kernels (a reduction, a matmul) and by a strided copy.
    on_both(
        &x.narrow(0, 0, 1000).unwrap(),
        |x| {
            let y = x.exp()?.mul_scalar(0.5)?;
            let square = y.reshape(&[25, 40])?;
            Ok(vec![
                y.sum()?,
                square.matmul(&square.transpose(0, 1)?)?,
                square.transpose(0, 1)?.contiguous()?,
            ])
        },
        &gpu,
    );
}

#[test]
fn gpu_tensors_move_export_and_refuse_what_they_cannot_hold() {
    let Some(gpu) = gpu_or_skip() else { return };
    let x = randn(&[3, 5], 110);
    let on_gpu = x.to(&gpu).unwrap();
    assert_eq!(on_gpu.device(), gpu);
    assert_eq!(
        on_gpu.to_ndarray::<f32>().unwrap(),
        x.to_ndarray::<f32>().unwrap(),
        "readback equals the upload"
    );
    assert_eq!(
        on_gpu.transpose(0, 1).unwrap().to_ndarray::<f32>().unwrap(),
        x.transpose(0, 1).unwrap().to_ndarray::<f32>().unwrap()
    );
    let err = on_gpu
        .clone()
        .requires_grad()
        .unwrap()
        .to_ndarray::<f32>()
        .unwrap_err();
    assert!(
        err.to_string().contains("f32, gpu); call .detach() first"),
        "{err}"
    );
    let err = on_gpu.add(&x).unwrap_err();
    assert!(
        err.to_string().contains("different devices (gpu and cpu)")
            && err.to_string().contains(".to(&device)"),
        "{err}"
    );
    let err = x.to_dtype(DType::BF16).unwrap().to(&gpu).unwrap_err();
    assert!(
        err.to_string().contains("bf16") && err.to_string().contains("to_dtype(DType::F32)"),
        "{err}"
    );
    // The gradient of a move flows back to the source device.
    let leaf = x.clone().requires_grad().unwrap();
    leaf.to(&gpu)
        .unwrap()
        .mul_scalar(3.0)
        .unwrap()
        .sum()
        .unwrap()
        .backward()
        .unwrap();
    let grad = leaf.grad().unwrap();
    assert_eq!(grad.device(), Device::Cpu);
    assert_eq!(values(&grad), vec![3.0; 15]);
    // .npy straight from the GPU, and back onto it.
    let bytes = wgrad::npy::to_bytes(&on_gpu).unwrap();
    assert_eq!(bytes, wgrad::npy::to_bytes(&x).unwrap());
    let loaded = wgrad::npy::from_bytes(&bytes, &gpu).unwrap();
    assert_eq!(loaded.device(), gpu);
    assert_eq!(
        loaded.to_ndarray::<f32>().unwrap(),
        x.to_ndarray::<f32>().unwrap()
    );
    assert_eq!(
        Tensor::full(&[3], 2.5, DType::F32, &gpu)
            .unwrap()
            .to_ndarray::<f32>()
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![2.5; 3]
    );
}

#[test]
fn gpu_tensor_over_32m_elements_is_split_across_bindings() {
    let Some(gpu) = gpu_or_skip() else { return };
    let n = (1 << 25) + 4099; // 33.6M f32 = 128 MiB + 16 KiB: over one storage binding
    let a = Tensor::arange(0.0, n as f64, 1.0, DType::F32, &cpu()).unwrap();
    let b = a.narrow(0, 1, n - 1).unwrap();
    let sum = a
        .narrow(0, 0, n - 1)
        .unwrap()
        .to(&gpu)
        .unwrap()
        .add(&b.to(&gpu).unwrap())
        .unwrap();
    let host = sum.to_ndarray::<f32>().unwrap();
    assert_eq!(host.len(), n - 1);
    for i in [0, 1, 12_345, (1 << 25) - 1, 1 << 25, n - 2] {
        assert_eq!(host[i], (2 * i + 1) as f32, "element {i}");
    }
    let err = sum.sum().unwrap_err();
    assert!(
        err.to_string().contains("over 128 MiB") && err.to_string().contains("narrow()"),
        "{err}"
    );
}

#[test]
fn gpu_mlp_training_step_matches_the_cpu() {
    let Some(gpu) = gpu_or_skip() else { return };
    let x = randn(&[64, 2], 120);
    let labels =
        Tensor::from_vec((0..64).map(|i| (i * 7 % 3) as i64).collect(), &[64], &cpu()).unwrap();
    let init = [
        randn(&[2, 16], 121),
        randn(&[16], 122),
        randn(&[16, 3], 123),
        randn(&[3], 124),
    ];
    let step = |device: &Device| -> (f64, Vec<Tensor>) {
        let params: Vec<Tensor> = init
            .iter()
            .map(|p| p.to(device).unwrap().requires_grad().unwrap())
            .collect();
        let (x, labels) = (x.to(device).unwrap(), labels.to(device).unwrap());
        let mut losses = Vec::new();
        let mut current = params;
        for _ in 0..5 {
            let hidden = x
                .matmul(&current[0])
                .unwrap()
                .add(&current[1])
                .unwrap()
                .relu()
                .unwrap();
            let loss = hidden
                .matmul(&current[2])
                .unwrap()
                .add(&current[3])
                .unwrap()
                .cross_entropy(&labels)
                .unwrap();
            loss.backward().unwrap();
            losses.push(values(&loss)[0]);
            current = current
                .iter()
                .map(|p| {
                    wgrad::no_grad(|| p.detach().sub(&p.grad().unwrap().mul_scalar(0.5)?))
                        .unwrap()
                        .requires_grad()
                        .unwrap()
                })
                .collect();
        }
        assert!(losses[4] < losses[0], "the loss falls: {losses:?}");
        (losses[4], current)
    };
    let (loss_cpu, params_cpu) = step(&cpu());
    let (loss_gpu, params_gpu) = step(&gpu);
    assert!(
        (loss_cpu - loss_gpu).abs() < 1e-5 * (1.0 + loss_cpu.abs()),
        "{loss_cpu} vs {loss_gpu}"
    );
    for (c, g) in params_cpu.iter().zip(&params_gpu) {
        assert_close("parameter after five steps", &g.detach(), &c.detach(), 1e-4);
    }
}
