//! Prints the GPU adapter wgrad would use: name, backend, type, driver, features and limits.
//!
//! Run with `cargo run --release --example device_info`.

use wgrad::Device;

fn main() {
    match Device::gpu() {
        Ok(Device::Gpu(gpu)) => {
            let info = gpu.adapter_info();
            println!("adapter:  {}", info.name);
            println!("backend:  {:?}", info.backend);
            println!("type:     {:?}", info.device_type);
            println!("driver:   {} {}", info.driver, info.driver_info);
            println!("features: {:?}", gpu.features());
            let limits = gpu.limits();
            println!(
                "max storage buffer binding: {} MiB",
                limits.max_storage_buffer_binding_size >> 20
            );
            println!(
                "max buffer size:            {} MiB",
                limits.max_buffer_size >> 20
            );
            println!(
                "max workgroups per dim:     {}",
                limits.max_compute_workgroups_per_dimension
            );
            println!(
                "max invocations per group:  {}",
                limits.max_compute_invocations_per_workgroup
            );
            println!(
                "max workgroup storage:      {} KiB",
                limits.max_compute_workgroup_storage_size >> 10
            );
        }
        Ok(other) => println!("no GPU: Device::gpu() gave {other}"),
        Err(e) => println!("no GPU: {e}"),
    }
}
