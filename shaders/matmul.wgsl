// Batched matrix product C[b] = A[b] @ B[b] of strided views (transposed operands read in place).
// Tiles of 64 x 64 outputs per workgroup, 16 x 16 threads each computing a 4 x 4 block held in
// registers, with 64 x 16 slabs of A and 16 x 64 of B staged in workgroup memory. Accumulates in
// f32 whatever T is.
//
// info: [m, n, k, a_offset, a_batch, a_row, a_col, b_offset, b_batch, b_row, b_col]

@group(0) @binding(0) var<uniform> info_words: array<vec4<u32>, 16>;

// Word k of the metadata (uniform: the same for every invocation, which the compiler can see).
fn info(k: u32) -> u32 {
    return info_words[k >> 2u][k & 3u];
}
@group(0) @binding(1) var<storage, read_write> out: array<{{T}}>;
@group(0) @binding(2) var<storage, read> a: array<{{T}}>;
@group(0) @binding(3) var<storage, read> b: array<{{T}}>;

const TILE: u32 = 64u;
const DEPTH: u32 = 16u;

var<workgroup> a_tile: array<f32, 1024>; // [DEPTH][TILE]: a_tile[kk * TILE + row]
var<workgroup> b_tile: array<f32, 1024>; // [DEPTH][TILE]: b_tile[kk * TILE + col]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let m = info(0);
    let n = info(1);
    let k = info(2);
    let batch = wid.z;
    let row0 = wid.y * TILE;
    let col0 = wid.x * TILE;
    let thread = lid.y * 16u + lid.x;
    let a_base = info(3) + batch * info(4);
    let b_base = info(7) + batch * info(8);
    var acc: array<vec4<f32>, 4>;
    for (var k0 = 0u; k0 < k; k0 += DEPTH) {
        for (var l = 0u; l < 4u; l++) {
            let e = thread + l * 256u;
            let row = row0 + e / DEPTH;
            let kk = e % DEPTH;
            var v = 0.0;
            if (row < m && k0 + kk < k) {
                v = f32(a[a_base + row * info(5) + (k0 + kk) * info(6)]);
            }
            a_tile[kk * TILE + e / DEPTH] = v;
            let kb = e / TILE;
            let col = col0 + e % TILE;
            var w = 0.0;
            if (col < n && k0 + kb < k) {
                w = f32(b[b_base + (k0 + kb) * info(9) + col * info(10)]);
            }
            b_tile[kb * TILE + e % TILE] = w;
        }
        workgroupBarrier();
        for (var kk = 0u; kk < DEPTH; kk++) {
            let ai = kk * TILE + lid.y * 4u;
            let bi = kk * TILE + lid.x * 4u;
            let bv = vec4<f32>(b_tile[bi], b_tile[bi + 1u], b_tile[bi + 2u], b_tile[bi + 3u]);
            acc[0] += a_tile[ai] * bv;
            acc[1] += a_tile[ai + 1u] * bv;
            acc[2] += a_tile[ai + 2u] * bv;
            acc[3] += a_tile[ai + 3u] * bv;
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i++) {
        let row = row0 + lid.y * 4u + i;
        for (var j = 0u; j < 4u; j++) {
            let col = col0 + lid.x * 4u + j;
            if (row < m && col < n) {
                out[(batch * m + row) * n + col] = {{T}}(acc[i][j]);
            }
        }
    }
}
