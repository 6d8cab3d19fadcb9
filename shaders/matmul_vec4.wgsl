// Batched matrix product C[b] = A[b] @ B[b] when both operands are row-major in memory with
// every row, offset and dimension k and n a multiple of 4: A is read as vec4s along k and B as
// vec4s along n, so each step of 4 along k costs 8 + 8 vector loads for 256 multiply-adds. Each
// invocation computes an 8 x 8 block of C in registers, without workgroup memory (see
// matmul.wgsl); workgroups of 8 x 8 invocations cover 64 x 64 outputs. On lavapipe this runs
// about twice as fast as matmul.wgsl's scalar loads. Accumulates in f32 whatever T is.
//
// info: [m, n, k, a_offset, a_batch, a_row, a_col, b_offset, b_batch, b_row, b_col], in
// elements (a_col and b_col are 1).

@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(2) var<storage, read> a: array<vec4<{{T}}>>;
@group(0) @binding(3) var<storage, read> b: array<vec4<{{T}}>>;

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = info(0);
    let n = info(1);
    let k = info(2);
    let row0 = wid.y * 64u + lid.y * 8u;
    let col0 = wid.x * 64u + lid.x * 8u;
    let batch = wid.z;
    // Positions in vec4s. Rows and column quads past the edge read the last one instead (always
    // in bounds) and are never written.
    let b_base = (info(7) + batch * info(8)) / 4u;
    let b_row = info(9) / 4u;
    let last_quad = n / 4u - 1u;
    let quad0 = b_base + min(col0 / 4u, last_quad);
    let quad1 = b_base + min(col0 / 4u + 1u, last_quad);
    var rows: array<u32, 8>;
    for (var i = 0u; i < 8u; i++) {
        rows[i] = (info(3) + batch * info(4) + min(row0 + i, m - 1u) * info(5)) / 4u;
    }
    var left: array<vec4<f32>, 8>;
    var right: array<vec4<f32>, 8>;
    for (var kq = 0u; kq < k / 4u; kq++) {
        let at = 4u * kq * b_row;
        let l0 = vec4<f32>(b[quad0 + at]);
        let l1 = vec4<f32>(b[quad0 + at + b_row]);
        let l2 = vec4<f32>(b[quad0 + at + 2u * b_row]);
        let l3 = vec4<f32>(b[quad0 + at + 3u * b_row]);
        let r0 = vec4<f32>(b[quad1 + at]);
        let r1 = vec4<f32>(b[quad1 + at + b_row]);
        let r2 = vec4<f32>(b[quad1 + at + 2u * b_row]);
        let r3 = vec4<f32>(b[quad1 + at + 3u * b_row]);
        for (var i = 0u; i < 8u; i++) {
            let av = vec4<f32>(a[rows[i] + kq]);
            left[i] += av.x * l0 + av.y * l1 + av.z * l2 + av.w * l3;
            right[i] += av.x * r0 + av.y * r1 + av.z * r2 + av.w * r3;
        }
    }
    for (var i = 0u; i < 8u; i++) {
        let row = row0 + i;
        for (var j = 0u; j < 4u; j++) {
            let at = (batch * m + row) * n + col0 + j;
            if (row < m && col0 + j < n) {
                out[at] = {{T}}(left[i][j]);
            }
            if (row < m && col0 + 4u + j < n) {
                out[at + 4u] = {{T}}(right[i][j]);
            }
        }
    }
}
