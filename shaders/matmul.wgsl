// Batched matrix product C[b] = A[b] @ B[b] of strided views (transposed operands read in place).
// Each invocation computes an 8 x 4 block of C in registers, reading A and B straight from their
// buffers: no workgroup memory and no barriers, which an emulated GPU (lavapipe, where workgroup
// memory is ordinary memory and a barrier is costly) runs several times faster than a tiled
// kernel. Workgroups of 8 x 8 invocations cover 64 x 32 outputs. Accumulates in ACC: f32 for f32
// and f16, f64 for f64.
//
// info: [m, n, k, a_offset, a_batch, a_row, a_col, b_offset, b_batch, b_row, b_col]

@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(2) var<storage, read> a: array<{{T}}>;
@group(0) @binding(3) var<storage, read> b: array<{{T}}>;

@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = info(0);
    let n = info(1);
    let k = info(2);
    let row0 = wid.y * 64u + lid.y * 8u;
    let col0 = wid.x * 32u + lid.x * 4u;
    let batch = wid.z;
    let a_base = info(3) + batch * info(4);
    let b_base = info(7) + batch * info(8);
    let a_row = info(5);
    let a_col = info(6);
    let b_row = info(9);
    let b_col = info(10);
    // Rows and columns past the edge read row or column 0 instead (always in bounds) and are
    // never written.
    var rows: array<u32, 8>;
    var cols: vec4<u32>;
    for (var i = 0u; i < 8u; i++) {
        rows[i] = select(0u, row0 + i, row0 + i < m) * a_row;
    }
    for (var j = 0u; j < 4u; j++) {
        cols[j] = select(0u, col0 + j, col0 + j < n) * b_col;
    }
    var acc: array<vec4<{{ACC}}>, 8>;
    for (var kk = 0u; kk < k; kk++) {
        let a_k = a_base + kk * a_col;
        let b_k = b_base + kk * b_row;
        let bv = vec4<{{ACC}}>({{ACC}}(b[b_k + cols[0]]), {{ACC}}(b[b_k + cols[1]]), {{ACC}}(b[b_k + cols[2]]), {{ACC}}(b[b_k + cols[3]]));
        for (var i = 0u; i < 8u; i++) {
            acc[i] += {{ACC}}(a[a_k + rows[i]]) * bv;
        }
    }
    for (var i = 0u; i < 8u; i++) {
        let row = row0 + i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + j;
            if (row < m && col < n) {
                out[(batch * m + row) * n + col] = {{T}}(acc[i][j]);
            }
        }
    }
}
