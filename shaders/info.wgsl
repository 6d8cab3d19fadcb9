// Every kernel's metadata: up to 64 words in a uniform block (uniform: the same for every
// invocation, which the compiler can see), laid out as each kernel's header says.

@group(0) @binding(0) var<uniform> info_words: array<vec4<u32>, 16>;

// Word k of the metadata.
fn info(k: u32) -> u32 {
    return info_words[k >> 2u][k & 3u];
}

// The position of the `index`-th element, in C order, of a view whose `ndim` sizes are at word
// `at` and whose strides follow them.
fn strided(index: u32, ndim: u32, at: u32) -> u32 {
    var rest = index;
    var pos = 0u;
    for (var d = ndim; d > 0u; d--) {
        let dim = info(at + d - 1u);
        pos += (rest % dim) * info(at + ndim + d - 1u);
        rest /= dim;
    }
    return pos;
}

// The index of an invocation of a 1-D kernel whose workgroups hold `size` invocations:
// dispatches over 65535 workgroups fold into a second dimension.
fn flat_index(gid: vec3<u32>, groups: vec3<u32>, size: u32) -> u32 {
    return gid.x + gid.y * groups.x * size;
}
