// A long reduction over the trailing (reduced) axes of a permuted view: each workgroup folds one
// chunk of one output's reduced elements, 256 threads striding through it, then a tree in
// workgroup memory. With several chunks per output the host runs a second pass over the
// partials. CONTIGUOUS is true when each output's reduced elements are one run in order (the
// view is C-ordered with the reduced axes last), which spares the per-element index arithmetic.
//
// Rendered by src/backend/gpu/kernels.rs: A input type, ACC accumulator type, OUT
// output type, INIT identity, COMBINE the fold, LOAD input -> accumulator,
// STORE accumulator -> output.
//
// info: [outputs, reduced, chunk, chunks_per_output, kept_ndim, reduced_ndim, offset,
//        kept shape, kept strides, reduced shape, reduced strides]

@group(0) @binding(1) var<storage, read_write> out: array<{{OUT}}>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;

var<workgroup> partial: array<{{ACC}}, 256>;

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) t: u32,
) {
    let group = wid.x + wid.y * groups.x;
    let output = group / info(3);
    let chunk = group % info(3);
    var acc: {{ACC}} = {{INIT}};
    if (output < info(0)) {
        let start = chunk * info(2);
        let end = min(start + info(2), info(1));
        if ({{CONTIGUOUS}}) {
            let base = info(6) + output * info(1);
            for (var r = start + t; r < end; r += 256u) {
                acc = {{COMBINE}}(acc, {{LOAD}}(a[base + r]));
            }
        } else {
            let kept_ndim = info(4);
            let base = info(6) + strided(output, kept_ndim, 7u);
            let reduced_at = 7u + 2u * kept_ndim;
            for (var r = start + t; r < end; r += 256u) {
                acc = {{COMBINE}}(acc, {{LOAD}}(a[base + strided(r, info(5), reduced_at)]));
            }
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
