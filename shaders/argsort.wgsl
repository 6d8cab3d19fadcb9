// The permutation that sorts each row of a view along its last axis (NaN counts as the largest,
// ties keep their order): one invocation per row, an insertion sort of the indices in the
// output, written as i64s (low word, high word). O(n^2) per row: meant for the rows of toy
// models (a vocabulary, a few classes), not for sorting millions of elements.
//
// Rendered by src/backend/gpu/kernels.rs: A input type, V comparison type, BEFORE the test of
// whether x must come before y (`before` ascending, `after` descending).
//
// info: [rows, length, stride, kept_ndim, offset, kept shape, kept strides]

@group(0) @binding(1) var<storage, read_write> out: array<vec2<i32>>;
@group(0) @binding(2) var<storage, read> a: array<{{A}}>;

fn value(base: u32, i: u32) -> {{V}} {
    return {{V}}(a[base + i * info(2)]);
}

// Whether x sorts after y in ascending order: NaN last, tested as !(v == v) since naga compiles
// != to an ordered comparison, false for NaN.
fn after(x: {{V}}, y: {{V}}) -> bool {
    return (!(x == x) && (y == y)) || x > y;
}

fn before(x: {{V}}, y: {{V}}) -> bool {
    return after(y, x);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let row = flat_index(gid, groups, 64u);
    if (row >= info(0)) {
        return;
    }
    let length = info(1);
    let base = info(4) + strided(row, info(3), 5u);
    let first = row * length;
    for (var i = 0u; i < length; i++) {
        let key = value(base, i);
        var j = i;
        while (j > 0u && {{BEFORE}}(key, value(base, u32(out[first + j - 1u].x)))) {
            out[first + j] = out[first + j - 1u];
            j--;
        }
        out[first + j] = vec2<i32>(i32(i), 0);
    }
}
