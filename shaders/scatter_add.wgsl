// out = a, plus each src[c] (c over index's shape) added at c with its `axis` coordinate
// replaced by index[c]: torch.scatter_add. Without float atomics, each invocation computes one
// output element completely, looping over the index's `axis`: deterministic, in a fixed order,
// O(outputs x index length along axis). The indices were checked before the dispatch.
//
// Rendered by src/backend/gpu/kernels.rs: A element type, I index element type, INDEX reads
// index element `p` as a u32.
//
// info: [outputs, ndim, axis, a offset, src offset, index offset, out shape[ndim],
//        index shape[ndim], a strides[ndim], src strides[ndim], index strides[ndim]]

@group(0) @binding(1) var<storage, read_write> out: array<{{A}}>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;
@group(0) @binding(3) var<storage, read> src: array<{{A}}>;
@group(0) @binding(4) var<storage, read> index: array<{{I}}>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(gid, groups, 256u);
    if (i >= info(0)) {
        return;
    }
    let ndim = info(1);
    let axis = info(2);
    let shapes = 6u;
    let strides = shapes + 2u * ndim;
    // This output's coordinates; outside the index's shape on another axis, nothing lands here.
    var rest = i;
    var own = info(3);
    var from_src = info(4);
    var from_index = info(5);
    var slot = 0u;
    var inside = true;
    for (var d = ndim; d > 0u; d--) {
        let dim = info(shapes + d - 1u);
        let coord = rest % dim;
        rest /= dim;
        own += coord * info(strides + d - 1u);
        if (d - 1u == axis) {
            slot = coord;
        } else {
            inside = inside && coord < info(shapes + ndim + d - 1u);
            from_src += coord * info(strides + ndim + d - 1u);
            from_index += coord * info(strides + 2u * ndim + d - 1u);
        }
    }
    var sum = a[own];
    if (inside) {
        let length = info(shapes + ndim + axis);
        let src_step = info(strides + ndim + axis);
        let index_step = info(strides + 2u * ndim + axis);
        for (var j = 0u; j < length; j++) {
            let p = from_index + j * index_step;
            if ({{INDEX}} == slot) {
                sum += src[from_src + j * src_step];
            }
        }
    }
    out[i] = sum;
}
