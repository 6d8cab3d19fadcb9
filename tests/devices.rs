//! The device a program gets without asking: a hardware GPU, else the CPU; an emulated GPU only
//! when asked for. Each choice runs in a child process, with its own environment.

mod common;

use std::process::Command;

use common::gpu_or_skip;
use wgrad::Device;

/// Run as a child by the test below: prints what `Device::best()` chose.
#[test]
fn child_reports_the_best_device() {
    if std::env::var_os("WGRAD_BEST_CHILD").is_some() {
        println!("best={}", Device::best());
    }
}

/// `Device::best()` in a child process with `WGRAD_DEVICE` set to `value` (or unset): its
/// stdout and stderr.
fn best_with(value: Option<&str>) -> (String, String) {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "child_reports_the_best_device", "--nocapture"])
        .env("WGRAD_BEST_CHILD", "1");
    match value {
        Some(v) => child.env("WGRAD_DEVICE", v),
        None => child.env_remove("WGRAD_DEVICE"),
    };
    let out = child.output().unwrap();
    assert!(out.status.success());
    let text = |b: &[u8]| String::from_utf8_lossy(b).to_string();
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn best_takes_a_hardware_gpu_and_an_emulated_one_only_when_asked() {
    assert!(best_with(Some("cpu")).0.contains("best=cpu"));
    let Some(gpu) = gpu_or_skip() else { return };
    let Device::Gpu(adapter) = &gpu else {
        unreachable!("Device::gpu() gives a GPU")
    };
    let (out, err) = best_with(None);
    if adapter.is_emulated() {
        assert!(out.contains("best=cpu"), "{out}");
        assert!(
            err.contains("emulated in software") && err.contains("WGRAD_DEVICE=gpu"),
            "{err}"
        );
    } else {
        assert!(out.contains("best=gpu"), "{out}");
    }
    let (out, err) = best_with(Some("gpu"));
    assert!(out.contains("best=gpu"), "{out}");
    assert_eq!(
        adapter.is_emulated(),
        err.contains("emulated in software"),
        "{err}"
    );
    assert!(Device::cpu().synchronize().is_ok() && gpu.synchronize().is_ok());
}
