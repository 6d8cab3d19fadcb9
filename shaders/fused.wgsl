// A queue of elementwise ops run as one kernel, four elements per invocation: every tensor it
// touches is a whole buffer in C order holding the same number of elements, of 4 or 2 bytes each
// (the case where vec4 loads and stores work, which is what lets an emulated GPU such as lavapipe
// move data near memcpy speed). Values produced inside the queue stay in registers; only the
// outputs a tensor still holds are stored. The last vec4 may run past the tensors' end into
// their buffers' padding, which holds nothing.
//
// Rendered by src/backend/gpu/fusion.rs: BINDINGS declares the queue's inputs (vN) and live
// outputs (oN); FUNCTIONS holds one function per op; LOADS reads each input's vec4 (qN) and
// RESULTS declares each live output's vec4 (rN); LANE computes one lane of every value (tN) and
// fills the results; STORES writes them.
//
// info: [number of vec4s]

{{BINDINGS}}
{{FUNCTIONS}}
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat_index(gid, groups, 256u);
    if (i >= info(0)) {
        return;
    }
    {{LOADS}}
    {{RESULTS}}
    for (var lane = 0u; lane < 4u; lane++) {
        {{LANE}}
    }
    {{STORES}}
}
