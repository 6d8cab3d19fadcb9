// A short reduction (at most 256 elements per output) over the trailing axes of a permuted view:
// one invocation per output folds its elements in order. A workgroup's tree would leave most of
// its threads idle and cost eight barriers, which an emulated GPU (lavapipe) pays dearly.
//
// Rendered and laid out like reduce.wgsl (chunk and chunks_per_output unused).

@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let output = flat_index(gid, groups, 64u);
    if (output >= info(0)) {
        return;
    }
    let kept_ndim = info(4);
    let base = info(6) + strided(output, kept_ndim, 7u);
    let reduced_at = 7u + 2u * kept_ndim;
    var acc: {{ACC}} = {{INIT}};
    for (var r = 0u; r < info(1); r++) {
        acc = {{COMBINE}}(acc, {{LOAD}}(a[base + strided(r, info(5), reduced_at)]));
    }
    out[output] = {{STORE}}(acc);
}
