// out = EXPR(x, y, z) elementwise over strided, broadcast views; also casts, copies and `where`.
//
// Rendered by src/backend/gpu/kernels.rs: OUT A B C are element types,
// INPUTS declares the inputs the expression uses, LOADS reads them, EXPR is the result,
// CONTIGUOUS is true when every view is a plain C-order run (positions are offset + i), and
// DIRECT when moreover every offset is 0: positions are i itself, which an emulated GPU (lavapipe)
// recognises as consecutive and loads twice as fast.
//
// info: [numel, ndim, shape[ndim], then for each view (out, a, b, c): offset, strides[ndim]]

@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
{{INPUTS}}

fn position(i: u32, view: u32) -> u32 {
    if ({{DIRECT}}) {
        return i;
    }
    let ndim = info(1);
    let base = 2u + ndim + view * (ndim + 1u);
    if ({{CONTIGUOUS}}) {
        return info(base) + i;
    }
    var rest = i;
    var pos = info(base);
    for (var d = ndim; d > 0u; d--) {
        let dim = info(1u + d);
        pos += (rest % dim) * info(base + d);
        rest /= dim;
    }
    return pos;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(gid, groups, 256u);
    if (i >= info(0)) {
        return;
    }
    {{LOADS}}
    out[position(i, 0u)] = {{EXPR}};
}
