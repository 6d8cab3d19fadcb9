// Running sums along the last axis of a view, forward or `reverse` (from the end): one
// invocation per row, in order, so the sums are the CPU's to the last rounding.
//
// Rendered by src/backend/gpu/kernels.rs: A element type, REVERSE true or false.
//
// info: [rows, length, stride, kept_ndim, offset, kept shape, kept strides]

@group(0) @binding(1) var<storage, read_write> out: array<{{A}}>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let row = flat_index(gid, groups, 64u);
    if (row >= info(0)) {
        return;
    }
    let length = info(1);
    let base = info(4) + strided(row, info(3), 5u);
    let first = row * length;
    var sum = {{A}}(0);
    for (var k = 0u; k < length; k++) {
        let i = select(k, length - 1u - k, {{REVERSE}});
        sum += a[base + i * info(2)];
        out[first + i] = sum;
    }
}
