//! CPU kernels beside baselines measured in the same run: a memcpy of the same bytes, ndarray's
//! own arithmetic and GEMM, and the `gemm` crate called directly. Run with `cargo bench --bench cpu_ops`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ndarray::{Array1, Array2};
use wgrad::{DType, Device, Tensor, no_grad};

const N: usize = 1 << 24; // 16M f32 = 64 MiB per operand

fn elementwise(c: &mut Criterion) {
    let dev = Device::cpu();
    let a = Tensor::rand(&[N], DType::F32, 1, &dev).unwrap();
    let b = Tensor::rand(&[N], DType::F32, 2, &dev).unwrap();
    let (na, nb) = (
        Array1::from(a.to_ndarray::<f32>().unwrap().into_raw_vec_and_offset().0),
        Array1::from(b.to_ndarray::<f32>().unwrap().into_raw_vec_and_offset().0),
    );
    let mut group = c.benchmark_group("add_16M_f32");
    group.throughput(Throughput::Bytes((2 * N * 4) as u64)); // a read and a write
    group.bench_function("memcpy_64MiB_baseline", |bench| {
        let src = vec![1.5f32; N];
        let mut dst = vec![0f32; N];
        bench.iter(|| dst.copy_from_slice(black_box(&src)))
    });
    group.throughput(Throughput::Bytes((3 * N * 4) as u64)); // two reads and a write
    group.bench_function("ndarray", |bench| bench.iter(|| black_box(&na + &nb)));
    group.bench_function("wgrad", |bench| {
        bench.iter(|| black_box(a.add(&b).unwrap()))
    });
    group.finish();

    let mut group = c.benchmark_group("sum_16M_f32");
    group.throughput(Throughput::Bytes((N * 4) as u64));
    group.bench_function("ndarray", |bench| bench.iter(|| black_box(na.sum())));
    group.bench_function("wgrad", |bench| bench.iter(|| black_box(a.sum().unwrap())));
    group.finish();
}

fn transcendental(c: &mut Criterion) {
    let dev = Device::cpu();
    for n in [1 << 12, 1 << 20] {
        let x = Tensor::randn(&[n], DType::F32, 6, &dev).unwrap();
        let host = x.to_ndarray::<f32>().unwrap().into_raw_vec_and_offset().0;
        let mut group = c.benchmark_group(format!("exp_{n}_f32"));
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function("libm_scalar_loop_baseline", |bench| {
            bench.iter(|| black_box(host.iter().map(|&v| v.exp()).collect::<Vec<f32>>()))
        });
        group.bench_function("wgrad", |bench| bench.iter(|| black_box(x.exp().unwrap())));
        group.bench_function("wgrad_tanh", |bench| {
            bench.iter(|| black_box(x.tanh().unwrap()))
        });
        group.finish();
    }
}

fn matmul(c: &mut Criterion) {
    let dev = Device::cpu();
    let mut group = c.benchmark_group("matmul_f32");
    for n in [256, 512, 1024] {
        let a = Tensor::randn(&[n, n], DType::F32, 3, &dev).unwrap();
        let b = Tensor::randn(&[n, n], DType::F32, 4, &dev).unwrap();
        let to2 = |t: &Tensor| -> Array2<f32> {
            t.to_ndarray::<f32>()
                .unwrap()
                .into_dimensionality()
                .unwrap()
        };
        let (na, nb) = (to2(&a), to2(&b));
        group.throughput(Throughput::Elements((2 * n * n * n) as u64)); // flops
        group.bench_function(format!("ndarray_dot_{n}"), |bench| {
            bench.iter(|| black_box(na.dot(&nb)))
        });
        group.bench_function(format!("gemm_crate_{n}"), |bench| {
            let (sa, sb) = (na.as_slice().unwrap(), nb.as_slice().unwrap());
            let mut out = vec![0f32; n * n];
            bench.iter(|| {
                // SAFETY: three distinct row-major n x n buffers, strides (1, n).
                unsafe {
                    gemm::gemm(
                        n,
                        n,
                        n,
                        out.as_mut_ptr(),
                        1,
                        n as isize,
                        false,
                        sa.as_ptr(),
                        1,
                        n as isize,
                        sb.as_ptr(),
                        1,
                        n as isize,
                        0.0,
                        1.0,
                        false,
                        false,
                        false,
                        gemm::Parallelism::Rayon(0),
                    )
                };
                black_box(&out);
            })
        });
        group.bench_function(format!("wgrad_{n}"), |bench| {
            bench.iter(|| black_box(a.matmul(&b).unwrap()))
        });
    }
    group.finish();
}

fn per_op_overhead(c: &mut Criterion) {
    let dev = Device::cpu();
    let x = Tensor::rand(&[64], DType::F32, 5, &dev).unwrap();
    let nx = Array1::from(x.to_ndarray::<f32>().unwrap().into_raw_vec_and_offset().0);
    let mut group = c.benchmark_group("chain_1000_adds_64_f32");
    group.bench_function("ndarray", |bench| {
        bench.iter(|| (0..1000).fold(nx.clone(), |acc, _| &acc + &nx))
    });
    group.bench_function("wgrad_no_grad", |bench| {
        bench.iter(|| no_grad(|| (0..1000).fold(x.clone(), |acc, _| acc.add(&x).unwrap())))
    });
    let leaf = x.clone().requires_grad().unwrap();
    group.bench_function("wgrad_recorded_with_backward", |bench| {
        bench.iter(|| {
            let y = (0..1000).fold(leaf.clone(), |acc, _| acc.add(&leaf).unwrap());
            y.sum().unwrap().backward().unwrap();
            leaf.zero_grad();
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = elementwise, transcendental, matmul, per_op_overhead }
criterion_main!(benches);
