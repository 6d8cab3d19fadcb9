// out[c] = a[c with its `axis` coordinate replaced by index[c]]: torch.gather, one invocation per
// output element. The indices were checked against the axis' length before the dispatch.
//
// Rendered by src/backend/gpu/kernels.rs: A element type, I index element type, INDEX reads
// index element `p` as a u32.
//
// info: [outputs, ndim, axis, a offset, index offset, out shape[ndim], a strides[ndim],
//        index strides[ndim]]

@group(0) @binding(1) var<storage, read_write> out: array<{{A}}>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;
@group(0) @binding(3) var<storage, read> index: array<{{I}}>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(gid, groups, 256u);
    if (i >= info(0)) {
        return;
    }
    let ndim = info(1);
    let axis = info(2);
    var rest = i;
    var source = info(3);
    var at = info(4);
    for (var d = ndim; d > 0u; d--) {
        let coord = rest % info(4u + d);
        rest /= info(4u + d);
        at += coord * info(4u + 2u * ndim + d);
        if (d - 1u != axis) {
            source += coord * info(4u + ndim + d);
        }
    }
    let p = at;
    source += {{INDEX}} * info(5u + ndim + axis);
    out[i] = a[source];
}
