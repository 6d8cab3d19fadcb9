//! Moving 64 MiB of f32 out of wgrad (into a new array, or into a caller's touched buffer),
//! beside baselines of the same bytes in the same run: memcpy into a fresh and into a touched
//! buffer, a plain file write (with and without fsync, since
//! npy::save syncs before its rename) and a plain file read. Run with `cargo bench --bench export`;
//! `python3 benches/numpy_io.py` times np.save and np.load of the same array for comparison.

use std::fs;
use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use wgrad::{DType, Device, Tensor, npy};

const N: usize = 1 << 24; // 16M f32 = 64 MiB

fn to_ndarray(c: &mut Criterion) {
    let t = Tensor::rand(&[N], DType::F32, 1, &Device::cpu()).unwrap();
    let host = t.to_ndarray::<f32>().unwrap().into_raw_vec_and_offset().0;
    let mut group = c.benchmark_group("export_64MiB_f32");
    group.throughput(Throughput::Bytes((N * 4) as u64));
    group.bench_function("memcpy_into_fresh_vec_baseline", |b| {
        b.iter(|| black_box(host.to_vec()))
    });
    group.bench_function("memcpy_into_touched_baseline", |b| {
        let mut dst = vec![0f32; N];
        b.iter(|| dst.copy_from_slice(black_box(&host)))
    });
    group.bench_function("to_ndarray_cpu", |b| {
        b.iter(|| black_box(t.to_ndarray::<f32>().unwrap()))
    });
    group.bench_function("copy_to_slice_cpu_into_touched", |b| {
        let mut dst = vec![0f32; N];
        b.iter(|| t.copy_to_slice(black_box(&mut dst)).unwrap())
    });
    let transposed = t.reshape(&[4096, 4096]).unwrap().transpose(0, 1).unwrap();
    match Device::gpu() {
        Ok(gpu) => {
            let on_gpu = t.to(&gpu).unwrap();
            group.bench_function("to_ndarray_gpu_readback", |b| {
                b.iter(|| black_box(on_gpu.to_ndarray::<f32>().unwrap()))
            });
            group.bench_function("copy_to_slice_gpu_readback_into_touched", |b| {
                let mut dst = vec![0f32; N];
                b.iter(|| on_gpu.copy_to_slice(black_box(&mut dst)).unwrap())
            });
        }
        Err(e) => eprintln!("no GPU readback bench: {e}"),
    }
    group.bench_function("to_ndarray_cpu_transposed_view", |b| {
        b.iter(|| black_box(transposed.to_ndarray::<f32>().unwrap()))
    });
    group.finish();
}

fn files(c: &mut Criterion) {
    let t = Tensor::rand(&[N], DType::F32, 2, &Device::cpu()).unwrap();
    let bytes = npy::to_bytes(&t).unwrap();
    let dir = std::env::temp_dir().join(format!("wgrad-bench-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let (plain, npy_path) = (dir.join("plain.bin"), dir.join("t.npy"));
    let mut group = c.benchmark_group("npy_64MiB_f32");
    group.throughput(Throughput::Bytes((N * 4) as u64));
    group.bench_function("plain_write_baseline", |b| {
        b.iter(|| fs::write(&plain, &bytes).unwrap())
    });
    group.bench_function("plain_write_fsync_baseline", |b| {
        b.iter(|| {
            let mut f = fs::File::create(&plain).unwrap();
            f.write_all(&bytes).unwrap();
            f.sync_all().unwrap();
        })
    });
    group.bench_function("npy_save_atomic_fsync", |b| {
        b.iter(|| npy::save(&npy_path, &t).unwrap())
    });
    group.bench_function("plain_read_baseline", |b| {
        b.iter(|| black_box(fs::read(&npy_path).unwrap()))
    });
    group.bench_function("npy_load", |b| {
        b.iter(|| black_box(npy::load(&npy_path, &Device::cpu()).unwrap()))
    });
    group.finish();
    fs::remove_dir_all(&dir).unwrap();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4))
}

criterion_group! { name = benches; config = config(); targets = to_ndarray, files }
criterion_main!(benches);
