// out = EXPR(x, y, z) on four elements per invocation: the DIRECT case of elementwise.wgsl (every
// view a whole buffer in C order) for element types of 4 or 2 bytes. Loading and storing vec4s is
// what lets an emulated GPU (lavapipe) move data near memcpy speed (three times faster than one
// element per invocation there); the expression still runs on each lane as a scalar.
//
// Rendered by src/backend/gpu/kernels.rs like elementwise.wgsl, with LOADS reading one vec4 per
// input (xs, ys, zs) and LANE taking one lane of each (x, y, z). The last vec4 may run past the
// tensor's end into its buffer's padding: inputs read padding, the output writes padding that
// holds nothing (the host takes this path only when the output is its buffer's only tensor).
//
// info: [number of vec4s]

@group(0) @binding(1) var<storage, read_write> out: array<vec4<{{OUT}}>>;
{{INPUTS}}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    // Dispatches over 65535 workgroups fold into a second dimension.
    let i = gid.x + gid.y * groups.x * 256u;
    if (i >= info(0)) {
        return;
    }
    {{LOADS}}
    var result: vec4<{{OUT}}>;
    for (var lane = 0u; lane < 4u; lane++) {
        {{LANE}}
        result[lane] = {{EXPR}};
    }
    out[i] = result;
}
