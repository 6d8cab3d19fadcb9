//! The training examples, run as a user runs them (with fewer steps), on the CPU and on the GPU:
//! each learns, and the spiral's exported model is usable from numpy, not only loadable.

mod common;

use std::path::{Path, PathBuf};

use common::{gpu_or_skip, scratch};
use std::process::Command;

/// The built example binary (cargo builds examples before running tests).
fn example(name: &str) -> PathBuf {
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf();
    deps.parent().unwrap().join("examples").join(name)
}

fn devices() -> Vec<&'static str> {
    if gpu_or_skip().is_some() {
        vec!["cpu", "gpu"]
    } else {
        vec!["cpu"]
    }
}

/// Runs an example to completion and returns its final summary line.
fn run(name: &str, device: &str, steps: usize, out: &Path) -> String {
    let output = Command::new(example(name))
        .args(["--device", device, "--steps", &steps.to_string(), "--out"])
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("{name} did not start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{name} on {device} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default().to_string();
    assert!(
        last.starts_with("final:"),
        "{name}: no summary in {stdout:?}"
    );
    last
}

/// The number in `line` right after `label`.
fn number_after(line: &str, label: &str) -> f64 {
    let rest = line
        .split(label)
        .nth(1)
        .unwrap_or_else(|| panic!("no {label:?} in {line:?}"));
    rest.trim_start()
        .split(|c: char| !(c.is_ascii_digit() || ".-+e".contains(c)))
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn spiral_learns_on_every_device_and_numpy_reproduces_its_predictions() {
    for device in devices() {
        let out = scratch(&format!("example-spiral-{device}"));
        let summary = run("spiral", device, 300, &out);
        let accuracy = number_after(&summary, "training accuracy");
        assert!(accuracy >= 95.0, "spiral on {device}: {summary}");
        for file in [
            "model.npz",
            "loss.npy",
            "data_x.npy",
            "data_y.npy",
            "pred.npy",
            "spiral.png",
        ] {
            assert!(
                out.join(file).metadata().is_ok_and(|m| m.len() > 0),
                "spiral on {device} wrote no {file}"
            );
        }
        numpy_check(&out);
    }
}

/// numpy recomputes the MLP from model.npz alone and must predict what pred.npy says.
fn numpy_check(out: &Path) {
    let script = r#"
import sys, numpy as np
d = sys.argv[1]
model = np.load(f"{d}/model.npz")
assert sorted(model.keys()) == sorted(f"layers.{i}.{p}" for i in range(3) for p in ("weight", "bias")), list(model.keys())
h = np.load(f"{d}/data_x.npy").astype(np.float64)
assert h.dtype == np.float64 and h.shape == (900, 2)
for i in range(3):
    h = h @ model[f"layers.{i}.weight"].astype(np.float64).T + model[f"layers.{i}.bias"]
    if i < 2:
        h = np.maximum(h, 0)
pred = np.load(f"{d}/pred.npy")
labels = np.load(f"{d}/data_y.npy")
agree = np.mean(h.argmax(axis=1) == pred)
loss = np.load(f"{d}/loss.npy")
assert loss.dtype == np.float32 and loss.shape == (300,) and loss[-1] < loss[0] / 5, loss[[0, -1]]
assert agree >= 0.99, agree
print(f"numpy agrees with pred.npy on {agree:.2%} of points; accuracy {np.mean(pred == labels):.2%}")
"#;
    run_numpy(script, &[out.as_os_str()]);
}

/// Runs a numpy script with `args`; without numpy it skips with a printed reason, unless
/// WGRAD_REQUIRE_NUMPY=1 (as in CI).
fn run_numpy(script: &str, args: &[&std::ffi::OsStr]) {
    let has_numpy = Command::new("python3")
        .args(["-c", "import numpy"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_numpy {
        assert!(
            std::env::var("WGRAD_REQUIRE_NUMPY").as_deref() != Ok("1"),
            "WGRAD_REQUIRE_NUMPY=1 but numpy is missing"
        );
        println!("skipped the numpy check: python3 cannot import numpy");
        return;
    }
    let output = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "numpy check failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    print!("{}", String::from_utf8_lossy(&output.stdout));
}

#[test]
fn pinn_solves_its_equation_and_numpy_confirms_its_second_derivative() {
    for device in devices() {
        let out = scratch(&format!("example-pinn-{device}"));
        let summary = run("pinn", device, 300, &out);
        let max_error = number_after(&summary, "max error");
        assert!(max_error < 1e-2, "pinn on {device}: {summary}");
        for file in [
            "x.npy",
            "u.npy",
            "exact.npy",
            "residual.npy",
            "loss.npy",
            "model.npz",
            "pinn.png",
        ] {
            assert!(
                out.join(file).metadata().is_ok_and(|m| m.len() > 0),
                "pinn on {device} wrote no {file}"
            );
        }
        // numpy rebuilds u from model.npz, finds the printed error against sin(pi x), and
        // checks wgrad's u'' (in residual.npy) against its own finite differences of u.
        let script = r#"
import sys, numpy as np
d, printed = sys.argv[1], float(sys.argv[2])
model = np.load(f"{d}/model.npz")
def u(x):
    h = x.reshape(-1, 1)
    for i in range(3):
        h = h @ model[f"layers.{i}.weight"].astype(np.float64).T + model[f"layers.{i}.bias"]
        if i < 2:
            h = np.tanh(h)
    return h
x = np.load(f"{d}/x.npy")
assert x.dtype == np.float32 and x.shape == (101, 1) and x[0, 0] == 0 and x[-1, 0] == 1
x = x.astype(np.float64)
assert np.abs(u(x) - np.load(f"{d}/u.npy")).max() < 1e-5
exact = np.load(f"{d}/exact.npy")
assert np.abs(exact - np.sin(np.pi * x)).max() < 1e-6
error = np.abs(np.load(f"{d}/u.npy") - exact).max()
assert abs(error - printed) <= 0.01 * printed, (error, printed)
h = 1e-3
residual = (u(x + h) - 2 * u(x) + u(x - h)) / h**2 + np.pi**2 * np.sin(np.pi * x)
gap = np.abs(residual - np.load(f"{d}/residual.npy")).max()
assert gap < 1e-3, gap
print(f"numpy: max error {error:.2e}; u'' agrees with finite differences to {gap:.1e}")
"#;
        let printed = max_error.to_string();
        run_numpy(script, &[out.as_os_str(), printed.as_ref()]);
    }
}

#[test]
fn xor_is_learned_exactly_on_every_device() {
    for device in devices() {
        let summary = run(
            "xor",
            device,
            300,
            &scratch(&format!("example-xor-{device}")),
        );
        assert!(
            summary.contains("predictions [0, 1, 1, 0]"),
            "xor on {device}: {summary}"
        );
        assert_eq!(number_after(&summary, "training accuracy"), 100.0);
    }
}

#[test]
fn linear_regression_recovers_both_parameters_on_every_device() {
    for device in devices() {
        let out = scratch(&format!("example-linreg-{device}"));
        let summary = run("linear_regression", device, 300, &out);
        let (w, b) = (
            number_after(&summary, "weight"),
            number_after(&summary, "bias"),
        );
        assert!(
            (w - 3.0).abs() < 0.05 && (b + 2.0).abs() < 0.05,
            "linear_regression on {device}: {summary}"
        );
        let model = wgrad::npz::load(out.join("model.npz"), &wgrad::Device::cpu()).unwrap();
        assert_eq!(
            model.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
            ["weight", "bias"]
        );
        assert!(
            (model[0].1.item::<f32>().unwrap() as f64 - w).abs() < 1e-4,
            "the export holds the printed weight"
        );
    }
}

/// Steps for a run on `device`: enough on the CPU to learn, few on an emulated GPU.
fn steps(device: &str, cpu: usize, gpu: usize) -> usize {
    if device == "cpu" { cpu } else { gpu }
}

/// Asserts that each of `files` was written into `out`.
fn wrote(name: &str, out: &Path, files: &[&str]) {
    for file in files {
        assert!(
            out.join(file).metadata().is_ok_and(|m| m.len() > 0),
            "{name} wrote no {file}"
        );
    }
}

#[test]
fn digits_cnn_learns_and_numpy_reproduces_its_predictions() {
    for device in devices() {
        let out = scratch(&format!("example-digits-{device}"));
        let summary = run("digits", device, steps(device, 300, 40), &out);
        let accuracy = number_after(&summary, "test accuracy");
        let floor = if device == "cpu" { 90.0 } else { 30.0 };
        assert!(accuracy >= floor, "digits on {device}: {summary}");
        let files = [
            "model.npz",
            "loss.npy",
            "test_images.npy",
            "test_labels.npy",
        ];
        wrote("digits", &out, &files);
        wrote(
            "digits",
            &out,
            &["predictions.npy", "confusion.npy", "digits.png"],
        );
        // numpy runs the CNN from model.npz alone (convolution by shifted slices, pooling by
        // reshaping) and must predict what predictions.npy says.
        let script = r#"
import sys, numpy as np
d, printed = sys.argv[1], float(sys.argv[2])
m = {k: v.astype(np.float64) for k, v in np.load(f"{d}/model.npz").items()}
assert sorted(m) == sorted(f"{i}.{p}" for i in (0, 3, 7) for p in ("weight", "bias")), sorted(m)
assert m["0.weight"].shape == (8, 1, 3, 3) and m["7.weight"].shape == (10, 784)
x = np.load(f"{d}/test_images.npy")
assert x.dtype == np.float32 and x.shape == (2000, 28, 28)
def conv(x, w, b):
    n, c, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = sum(np.einsum("nchw,oc->nohw", padded[:, :, i:i + h, j:j + wd], w[:, :, i, j])
              for i in range(3) for j in range(3))
    return out + b[None, :, None, None]
def pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))
h = pool(np.maximum(conv(x[:, None].astype(np.float64), m["0.weight"], m["0.bias"]), 0))
h = pool(np.maximum(conv(h, m["3.weight"], m["3.bias"]), 0))
logits = h.reshape(len(h), -1) @ m["7.weight"].T + m["7.bias"]
pred, labels = np.load(f"{d}/predictions.npy"), np.load(f"{d}/test_labels.npy")
assert pred.dtype == np.int64 and labels.dtype == np.int64
agree = np.mean(logits.argmax(axis=1) == pred)
assert agree >= 0.995, agree
confusion = np.load(f"{d}/confusion.npy")
assert (confusion == np.bincount(labels * 10 + pred, minlength=100).reshape(10, 10)).all()
accuracy = 100 * np.mean(pred == labels)
assert abs(accuracy - printed) < 0.051, (accuracy, printed)
print(f"numpy agrees with predictions.npy on {agree:.2%} of test images")
"#;
        run_numpy(script, &[out.as_os_str(), accuracy.to_string().as_ref()]);
    }
}

#[test]
fn tiny_gpt_learns_to_add_and_numpy_reproduces_its_answers() {
    for device in devices() {
        let out = scratch(&format!("example-tiny_gpt-{device}"));
        let summary = run("tiny_gpt", device, steps(device, 700, 20), &out);
        let accuracy = number_after(&summary, "held-out exact match");
        if device == "cpu" {
            assert!(accuracy >= 90.0, "tiny_gpt on cpu: {summary}");
        }
        let files = [
            "model.npz",
            "loss.npy",
            "test_prompts.npy",
            "predictions.npy",
        ];
        wrote("tiny_gpt", &out, &files);
        wrote("tiny_gpt", &out, &["attention.npy", "tiny_gpt.png"]);
        // numpy runs the transformer from model.npz alone, decodes greedily, and must give the
        // same answers; the exported attention is each head's softmax, causal.
        let script = r#"
import sys, numpy as np
d, printed, steps = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
m = {k: v.astype(np.float64) for k, v in np.load(f"{d}/model.npz").items()}
def ln(x, p):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * m[f"{p}.weight"] + m[f"{p}.bias"]
def linear(x, p):
    return x @ m[f"{p}.weight"].T + m[f"{p}.bias"]
def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
def attention(x, p, heads=4):
    b, t, e = x.shape
    q, k, v = np.split(x @ m[f"{p}.in_proj_weight"].T + m[f"{p}.in_proj_bias"], 3, axis=-1)
    split = lambda z: z.reshape(b, t, heads, e // heads).transpose(0, 2, 1, 3)
    q, k, v = split(q), split(k), split(v)
    scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(e // heads)
    scores = np.where(np.triu(np.ones((t, t), bool), 1), -np.inf, scores)
    w = np.exp(scores - scores.max(-1, keepdims=True))
    w /= w.sum(-1, keepdims=True)
    mixed = (w @ v).transpose(0, 2, 1, 3).reshape(b, t, e)
    return linear(mixed, f"{p}.out_proj"), w
def run(ids):
    x = m["tok.weight"][ids] + m["pos.weight"][: ids.shape[1]]
    maps = []
    for l in range(2):
        a, w = attention(ln(x, f"blocks.{l}.ln1"), f"blocks.{l}.attn")
        x = x + a
        maps.append(w)
        x = x + linear(gelu(linear(ln(x, f"blocks.{l}.ln2"), f"blocks.{l}.fc")), f"blocks.{l}.proj")
    return linear(ln(x, "ln_f"), "head"), maps
prompts = np.load(f"{d}/test_prompts.npy")
assert prompts.dtype == np.int64 and prompts.shape == (1000, 6)
ids = prompts
for _ in range(3):
    logits, _ = run(ids)
    ids = np.concatenate([ids, logits[:, -1].argmax(-1)[:, None]], axis=1)
pred = np.load(f"{d}/predictions.npy")
agree = np.mean((ids[:, 6:] == pred).all(axis=1))
assert agree >= 0.99, agree
a = prompts[:, 0] * 10 + prompts[:, 1]
b = prompts[:, 3] * 10 + prompts[:, 4]
answer = pred[:, 0] + 10 * pred[:, 1] + 100 * pred[:, 2]
accuracy = 100 * np.mean(answer == a + b)
assert abs(accuracy - printed) < 0.051, (accuracy, printed)
attn = np.load(f"{d}/attention.npy")
assert attn.shape == (2, 4, 8, 8) and attn.dtype == np.float32
total = a[0] + b[0]
_, maps = run(np.concatenate([prompts[:1], [[total % 10, total // 10 % 10]]], axis=1))
assert np.abs(np.concatenate(maps) - attn).max() < 1e-4
assert np.allclose(attn.sum(-1), 1, atol=1e-5) and (np.triu(attn, 1) == 0).all()
assert np.load(f"{d}/loss.npy").shape == (steps,)
print(f"numpy agrees with predictions.npy on {agree:.2%} of held-out problems")
"#;
        let (printed, steps) = (accuracy.to_string(), steps(device, 700, 20).to_string());
        run_numpy(script, &[out.as_os_str(), printed.as_ref(), steps.as_ref()]);
    }
}

#[test]
fn bad_flags_are_refused_with_usage() {
    let output = Command::new(example("spiral"))
        .args(["--steps", "many"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--steps takes a number") && stderr.contains("usage: spiral"),
        "{stderr}"
    );
}
