// A reduction over the trailing (reduced) axes of a permuted view: each workgroup folds one chunk
// of one output's reduced elements, 256 threads striding through it, then a tree in workgroup
// memory. With several chunks per output the host runs a second pass over the partials.
//
// Rendered by src/backend/gpu/kernels.rs: A input type, ACC accumulator type, OUT
// output type, INIT identity, COMBINE the fold, LOAD input -> accumulator,
// STORE accumulator -> output.
//
// info: [outputs, reduced, chunk, chunks_per_output, kept_ndim, reduced_ndim, offset,
//        kept shape, kept strides, reduced shape, reduced strides]

@group(0) @binding(0) var<uniform> info_words: array<vec4<u32>, 16>;

// Word k of the metadata (uniform: the same for every invocation, which the compiler can see).
fn info(k: u32) -> u32 {
    return info_words[k >> 2u][k & 3u];
}
@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;

var<workgroup> partial: array<{{ACC}}, 256>;

fn strided(index: u32, ndim: u32, shape_at: u32) -> u32 {
    var rest = index;
    var pos = 0u;
    for (var d = ndim; d > 0u; d--) {
        let dim = info(shape_at + d - 1u);
        pos += (rest % dim) * info(shape_at + ndim + d - 1u);
        rest /= dim;
    }
    return pos;
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) t: u32,
) {
    let group = wid.x + wid.y * groups.x;
    let output = group / info(3);
    let chunk = group % info(3);
    let kept_ndim = info(4);
    let reduced_ndim = info(5);
    var acc: {{ACC}} = {{INIT}};
    if (output < info(0)) {
        let base = info(6) + strided(output, kept_ndim, 7u);
        let reduced_at = 7u + 2u * kept_ndim;
        let start = chunk * info(2);
        let end = min(start + info(2), info(1));
        for (var r = start + t; r < end; r += 256u) {
            acc = {{COMBINE}}(acc, {{LOAD}}(a[base + strided(r, reduced_ndim, reduced_at)]));
        }
    }
    partial[t] = acc;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (t < s) {
            partial[t] = {{COMBINE}}(partial[t], partial[t + s]);
        }
        workgroupBarrier();
    }
    if (t == 0u && output < info(0)) {
        out[group] = {{STORE}}(partial[0]);
    }
}
