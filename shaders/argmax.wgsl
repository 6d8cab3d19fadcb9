// Index of the first maximum along the last axis of a permuted view (NaN counts as the maximum),
// one workgroup per output, written as an i64 (low word, high word).
//
// Rendered by src/backend/gpu/kernels.rs: A input type, V comparison type.
//
// info: [outputs, length, stride, kept_ndim, offset, kept shape, kept strides]

@group(0) @binding(1) var<storage, read_write> out: array<vec2<i32>>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;

var<workgroup> best_value: array<{{V}}, 256>;
var<workgroup> best_index: array<u32, 256>;

// Whether (vb, ib) beats (va, ia): NaN first, then the larger value, then the smaller index.
// NaN's test is !(v == v): naga compiles != to an ordered comparison, false for NaN.
fn beats(va: {{V}}, ia: u32, vb: {{V}}, ib: u32) -> bool {
    if (!(va == va)) {
        return !(vb == vb) && ib < ia;
    }
    return !(vb == vb) || vb > va || (vb == va && ib < ia);
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) groups: vec3<u32>,
    @builtin(local_invocation_index) t: u32,
) {
    let output = wid.x + wid.y * groups.x;
    let length = info(1);
    var value = {{V}}(0);
    var index = 0xffffffffu;
    if (output < info(0)) {
        let base = info(4) + strided(output, info(3), 5u);
        for (var i = t; i < length; i += 256u) {
            let v = {{V}}(a[base + i * info(2)]);
            if (index == 0xffffffffu || beats(value, index, v, i)) {
                value = v;
                index = i;
            }
        }
    }
    best_value[t] = value;
    best_index[t] = index;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s >>= 1u) {
        if (t < s && best_index[t + s] != 0xffffffffu
            && (best_index[t] == 0xffffffffu || beats(best_value[t], best_index[t], best_value[t + s], best_index[t + s]))) {
            best_value[t] = best_value[t + s];
            best_index[t] = best_index[t + s];
        }
        workgroupBarrier();
    }
    if (t == 0u && output < info(0)) {
        out[output] = vec2<i32>(i32(best_index[0]), 0);
    }
}
