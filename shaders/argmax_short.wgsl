// Index of the first maximum along a short axis (at most 256 elements; NaN counts as the
// maximum): one invocation per output scans its row in order, as reduce_short.wgsl does for
// values. A workgroup's tree (argmax.wgsl) would leave most threads idle and cost eight
// barriers per output, which an emulated GPU (lavapipe) pays dearly.
//
// Rendered and laid out like argmax.wgsl.

@group(0) @binding(1) var<storage, read_write> out: array<vec2<i32>>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let output = flat_index(gid, groups, 64u);
    if (output >= info(0)) {
        return;
    }
    let base = info(4) + strided(output, info(3), 5u);
    var best = {{V}}(a[base]);
    var index = 0u;
    // NaN's test is !(v == v): naga compiles != to an ordered comparison, false for NaN.
    for (var i = 1u; i < info(1) && best == best; i++) {
        let v = {{V}}(a[base + i * info(2)]);
        if (v > best || !(v == v)) {
            best = v;
            index = i;
        }
    }
    out[output] = vec2<i32>(i32(index), 0);
}
