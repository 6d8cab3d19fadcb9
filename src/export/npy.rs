//! `.npy`: numpy's array file, written byte for byte as `np.save` writes it and read strictly.
//!
//! Writing: magic, version 1.0 (2.0 when the header outgrows 65535 bytes), the header dict padded
//! with spaces so the data starts on a 64-byte boundary, then the elements in C order straight from
//! the tensor's storage. Reading accepts versions 1.0 to 3.0, C and Fortran order and either byte
//! order, and refuses anything malformed before allocating: the data the header promises must fit
//! in what the source really holds, and must be all there is.
//!
//! ```no_run
//! use wgrad::{DType, Device, Tensor, npy};
//!
//! let t = Tensor::randn(&[3, 4], DType::F32, 0, &Device::cpu())?;
//! npy::save("t.npy", &t)?;                     // numpy: np.load("t.npy")
//! let back = npy::load("t.npy", &Device::cpu())?;
//! # Ok::<(), wgrad::Error>(())
//! ```

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use bytemuck::Pod;
use ndarray::{ArrayD, IxDyn, ShapeBuilder};

use super::DynArray;
use super::atomic::{io_error, write_atomically};
use crate::backend::Backend;
use crate::backend::cpu::alloc;
use crate::device::Device;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

const MAGIC: &[u8; 6] = b"\x93NUMPY";
/// numpy aligns the start of the data to this many bytes.
const ALIGN: usize = 64;
/// numpy refuses larger headers unless told otherwise (`max_header_size`).
const MAX_HEADER: usize = 10_000;
/// Byte-order character of this machine's native layout.
const NATIVE: char = if cfg!(target_endian = "little") {
    '<'
} else {
    '>'
};

/// Writes `tensor` to `path` as a `.npy` file, atomically (a temporary file renamed into place).
///
/// The tensor must be detached; bf16 is refused, since numpy has no such dtype.
pub fn save(path: impl AsRef<Path>, tensor: &Tensor) -> Result<()> {
    let path = path.as_ref();
    let descr = descr(tensor)?;
    write_atomically(path, |w| write_descr(w, tensor, descr, path))
}

/// Reads a `.npy` file into a tensor on `device`.
pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Tensor> {
    let path = path.as_ref();
    let file = File::open(path).map_err(io_error(path))?;
    let len = file.metadata().map_err(io_error(path))?.len();
    let array = read(&mut BufReader::new(file), len, path)?;
    Tensor::from_dyn_array(array, device)
}

/// The bytes of a `.npy` file holding `tensor`.
pub fn to_bytes(tensor: &Tensor) -> Result<Vec<u8>> {
    let descr = descr(tensor)?;
    let data = tensor.numel().checked_mul(tensor.dtype().size_in_bytes());
    let capacity = data
        .and_then(|d| d.checked_add(ALIGN))
        .ok_or(Error::OutOfMemory {
            bytes: None,
            device: tensor.device().kind(),
        })?;
    let mut bytes = alloc::with_capacity(capacity)?;
    write_descr(&mut bytes, tensor, descr, Path::new("<memory>"))?;
    Ok(bytes)
}

/// Reads the bytes of a `.npy` file into a tensor on `device`.
pub fn from_bytes(bytes: &[u8], device: &Device) -> Result<Tensor> {
    let array = read(&mut &bytes[..], bytes.len() as u64, Path::new("<memory>"))?;
    Tensor::from_dyn_array(array, device)
}

/// The descr numpy uses for the tensor's dtype, after checking the tensor may be exported.
pub(crate) fn descr(tensor: &Tensor) -> Result<String> {
    tensor.require_detached()?;
    let code = match tensor.dtype() {
        DType::F32 => "f4",
        DType::F64 => "f8",
        DType::F16 => "f2",
        DType::I32 => "i4",
        DType::I64 => "i8",
        DType::C64 => "c8",
        DType::C128 => "c16",
        DType::I16 => "i2",
        DType::U16 => "u2",
        DType::U32 => "u4",
        DType::U64 => "u8",
        DType::U8 => return Ok("|u1".into()),
        DType::I8 => return Ok("|i1".into()),
        DType::Bool => return Ok("|b1".into()),
        DType::BF16 => {
            return Err(Error::UnsupportedDType {
                op: "npy::save",
                dtype: DType::BF16,
                hint: "numpy has no bfloat16; save t.to_dtype(DType::F32)? instead, which is exact",
            });
        }
    };
    Ok(format!("{NATIVE}{code}"))
}

/// Writes the header and the elements of `tensor` (already checked by [`descr`]).
pub(crate) fn write_descr(
    w: &mut impl Write,
    tensor: &Tensor,
    descr: String,
    path: &Path,
) -> Result<()> {
    w.write_all(&header(&descr, tensor.shape()))
        .map_err(io_error(path))?;
    tensor
        .storage()
        .with_c_order_bytes(tensor.layout(), |bytes| w.write_all(bytes))?
        .map_err(io_error(path))
}

/// Size in bytes of the `.npy` file for a tensor of `shape` and `dtype` (every descr wgrad writes
/// has three characters, so any of them gives the header's length).
pub(crate) fn file_size(shape: &[usize], dtype: DType) -> u128 {
    let data = shape.iter().map(|&d| d as u128).product::<u128>() * dtype.size_in_bytes() as u128;
    header("|u1", shape).len() as u128 + data
}

/// Magic, version, header length and the header dict, padded to a multiple of 64 bytes.
fn header(descr: &str, shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape = match dims.as_slice() {
        [one] => format!("({one},)"),
        _ => format!("({})", dims.join(", ")),
    };
    let dict = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    let (version, length_bytes) = if dict.len() + 1 + MAGIC.len() + 4 <= 65535 {
        (1, 2)
    } else {
        (2, 4)
    };
    let unpadded = MAGIC.len() + 2 + length_bytes + dict.len() + 1;
    let header_len = dict.len() + 1 + (ALIGN - unpadded % ALIGN) % ALIGN;
    let mut out = Vec::with_capacity(MAGIC.len() + 2 + length_bytes + header_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[version, 0]);
    match length_bytes {
        2 => out.extend_from_slice(&(header_len as u16).to_le_bytes()),
        _ => out.extend_from_slice(&(header_len as u32).to_le_bytes()),
    }
    out.extend_from_slice(dict.as_bytes());
    out.resize(out.len() + header_len - dict.len() - 1, b' ');
    out.push(b'\n');
    out
}

/// What a header says about the data that follows it.
#[derive(Debug, PartialEq)]
struct Header {
    /// numpy's dtype: a descr string such as `<f4`, or a structured dtype's list as written.
    descr: String,
    fortran_order: bool,
    shape: Vec<usize>,
}

/// Reads one `.npy` image from `r`, which holds at most `available` bytes from here on.
pub(crate) fn read(r: &mut impl Read, available: u64, path: &Path) -> Result<DynArray> {
    let invalid = |message: String| Error::InvalidFile {
        path: path.to_path_buf(),
        message,
    };
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::UnexpectedEof => invalid("the file ends early: it is truncated".into()),
        _ => io_error(path)(e),
    };
    let mut prefix = [0u8; 8];
    r.read_exact(&mut prefix).map_err(io)?;
    if &prefix[..6] != MAGIC {
        return Err(invalid(
            "not a .npy file (it does not start with \\x93NUMPY)".into(),
        ));
    }
    let header_len = match (prefix[6], prefix[7]) {
        (1, 0) => {
            let mut len = [0u8; 2];
            r.read_exact(&mut len).map_err(io)?;
            u16::from_le_bytes(len) as usize
        }
        (2, 0) | (3, 0) => {
            let mut len = [0u8; 4];
            r.read_exact(&mut len).map_err(io)?;
            u32::from_le_bytes(len) as usize
        }
        (major, minor) => {
            return Err(invalid(format!(
                ".npy version {major}.{minor} is not one of 1.0, 2.0, 3.0"
            )));
        }
    };
    let prefix_len = if prefix[6] == 1 { 10 } else { 12 };
    if header_len > MAX_HEADER {
        return Err(invalid(format!(
            "the header claims {header_len} bytes; numpy accepts at most {MAX_HEADER}"
        )));
    }
    let mut text = vec![0u8; header_len];
    r.read_exact(&mut text).map_err(io)?;
    let text = match prefix[6] {
        3 => String::from_utf8(text).map_err(|_| invalid("the header is not UTF-8".into()))?,
        _ => text.iter().map(|&b| b as char).collect(), // latin-1, as numpy reads 1.0 and 2.0
    };
    let header = parse_header(&text)
        .map_err(|m| invalid(format!("malformed header {:?}: {m}", text.trim_end())))?;
    let (dtype, swap) = parse_descr(&header.descr).map_err(invalid)?;

    let numel = header
        .shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d));
    let data_len = numel.and_then(|n| n.checked_mul(dtype.size_in_bytes()));
    let remaining = available.saturating_sub((prefix_len + header_len) as u64);
    let (Some(numel), Some(data_len)) = (numel, data_len) else {
        return Err(invalid(format!(
            "shape {:?} has more elements than fit in memory",
            header.shape
        )));
    };
    if data_len as u64 > remaining {
        return Err(invalid(format!(
            "shape {:?} of {dtype} needs {data_len} bytes of data but only {remaining} follow the header",
            header.shape
        )));
    }
    let shape = IxDyn(&header.shape).set_f(header.fortran_order);
    let array = match dtype {
        DType::F32 => DynArray::F32(read_pod::<f32>(r, numel, swap, 4, &shape, &io)?),
        DType::F64 => DynArray::F64(read_pod::<f64>(r, numel, swap, 8, &shape, &io)?),
        DType::F16 => DynArray::F16(read_pod::<half::f16>(r, numel, swap, 2, &shape, &io)?),
        DType::I32 => DynArray::I32(read_pod::<i32>(r, numel, swap, 4, &shape, &io)?),
        DType::I64 => DynArray::I64(read_pod::<i64>(r, numel, swap, 8, &shape, &io)?),
        DType::U8 => DynArray::U8(read_pod::<u8>(r, numel, false, 1, &shape, &io)?),
        DType::I8 => DynArray::I8(read_pod::<i8>(r, numel, false, 1, &shape, &io)?),
        DType::I16 => DynArray::I16(read_pod::<i16>(r, numel, swap, 2, &shape, &io)?),
        DType::U16 => DynArray::U16(read_pod::<u16>(r, numel, swap, 2, &shape, &io)?),
        DType::U32 => DynArray::U32(read_pod::<u32>(r, numel, swap, 4, &shape, &io)?),
        DType::U64 => DynArray::U64(read_pod::<u64>(r, numel, swap, 8, &shape, &io)?),
        DType::C128 => DynArray::C128(read_pod::<num_complex::Complex64>(
            r, numel, swap, 8, &shape, &io,
        )?),
        // Each of the two f32 halves of a complex number is swapped on its own.
        DType::C64 => DynArray::C64(read_pod::<num_complex::Complex32>(
            r, numel, swap, 4, &shape, &io,
        )?),
        DType::Bool => {
            let bytes = read_pod::<u8>(r, numel, false, 1, &shape, &io)?;
            if let Some((i, &b)) = bytes.iter().enumerate().find(|&(_, &b)| b > 1) {
                return Err(invalid(format!(
                    "element {i} of a bool array is the byte {b}; bools are 0 or 1"
                )));
            }
            DynArray::Bool(bytes.mapv(|b| b == 1))
        }
        DType::BF16 => return Err(Error::Internal("a .npy descr parsed as bf16".into())),
    };
    let mut probe = [0u8; 1];
    if r.read(&mut probe).map_err(io)? != 0 {
        return Err(invalid(format!(
            "more data follows the {data_len} bytes that shape {:?} of {dtype} holds",
            header.shape
        )));
    }
    Ok(array)
}

/// Reads `n` elements into a zero-initialised buffer,
/// swapping each `unit`-byte group when the file's byte order is not ours.
fn read_pod<T: Pod>(
    r: &mut impl Read,
    n: usize,
    swap: bool,
    unit: usize,
    shape: &ndarray::Shape<IxDyn>,
    io: &impl Fn(std::io::Error) -> Error,
) -> Result<ArrayD<T>> {
    let mut values: Vec<T> = alloc::zeroed(n)?;
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(&mut values);
    r.read_exact(bytes).map_err(io)?;
    if swap {
        bytes.chunks_exact_mut(unit).for_each(<[u8]>::reverse);
    }
    ArrayD::from_shape_vec(shape.clone(), values).map_err(|e| Error::Internal(e.to_string()))
}

/// Parses numpy's header dict: `{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }`,
/// in any key order, with either quote style, and each of the three keys exactly once.
fn parse_header(text: &str) -> std::result::Result<Header, String> {
    let mut p = Parser {
        rest: text.trim_end(),
    };
    p.expect('{')?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    loop {
        p.skip_space();
        if p.eat('}') {
            break;
        }
        let key = p.string()?;
        p.skip_space();
        p.expect(':')?;
        p.skip_space();
        let duplicate = match key.as_str() {
            "descr" => descr.replace(p.descr()?).is_some(),
            "fortran_order" => fortran.replace(p.boolean()?).is_some(),
            "shape" => shape.replace(p.tuple()?).is_some(),
            other => return Err(format!("unexpected key {other:?}")),
        };
        if duplicate {
            return Err(format!("key {key:?} appears twice"));
        }
        p.skip_space();
        if !p.eat(',') {
            p.skip_space();
            p.expect('}')?;
            break;
        }
    }
    if !p.rest.is_empty() {
        return Err("text after the closing brace".into());
    }
    Ok(Header {
        descr: descr.ok_or("no 'descr'")?,
        fortran_order: fortran.ok_or("no 'fortran_order'")?,
        shape: shape.ok_or("no 'shape'")?,
    })
}

/// The dtype of a descr such as `<f4`, and whether its byte order is foreign to this machine;
/// a valid numpy dtype that wgrad does not hold is an error that says which kind it is.
fn parse_descr(descr: &str) -> std::result::Result<(DType, bool), String> {
    let (order, code) = match descr.chars().next() {
        Some(c @ ('<' | '>' | '|' | '=')) => (c, &descr[1..]),
        _ => ('|', descr),
    };
    let dtype = match code {
        "f4" => DType::F32,
        "f8" => DType::F64,
        "f2" => DType::F16,
        "i4" => DType::I32,
        "i8" => DType::I64,
        "u1" => DType::U8,
        "b1" => DType::Bool,
        "c8" => DType::C64,
        "c16" => DType::C128,
        "i1" => DType::I8,
        "i2" => DType::I16,
        "u2" => DType::U16,
        "u4" => DType::U32,
        "u8" => DType::U64,
        _ => {
            let kind = match code.chars().next() {
                _ if descr.starts_with('[') => "a structured dtype",
                Some('i') => "a signed integer",
                Some('u') => "an unsigned integer",
                Some('f') => "a float",
                Some('c') => "a complex number",
                Some('M') => "datetime64",
                Some('m') => "timedelta64",
                Some('U' | 'S') => "a string",
                Some('O') => "Python objects",
                Some('V') => "raw bytes (void)",
                _ => "not a numpy dtype",
            };
            return Err(format!(
                "unsupported dtype {descr} ({kind}); wgrad loads f2, f4, f8, i1, i2, i4, i8, \
                 u1, u2, u4, u8, b1, c8 and c16"
            ));
        }
    };
    let foreign = match order {
        '<' => NATIVE != '<',
        '>' => NATIVE != '>',
        _ => false,
    };
    Ok((dtype, foreign))
}

/// A cursor over the header text.
struct Parser<'a> {
    rest: &'a str,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn eat(&mut self, c: char) -> bool {
        match self.rest.strip_prefix(c) {
            Some(rest) => {
                self.rest = rest;
                true
            }
            None => false,
        }
    }

    fn expect(&mut self, c: char) -> std::result::Result<(), String> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(format!("expected {c:?}"))
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        let quote = self
            .rest
            .chars()
            .next()
            .filter(|c| *c == '\'' || *c == '"')
            .ok_or("expected a string")?;
        let body = &self.rest[1..];
        let end = body.find(quote).ok_or("unterminated string")?;
        self.rest = &body[end + 1..];
        Ok(body[..end].to_string())
    }

    /// A descr: a string, or a structured dtype's list, kept as written.
    fn descr(&mut self) -> std::result::Result<String, String> {
        if !self.rest.starts_with('[') {
            return self.string();
        }
        let mut depth = 0usize;
        for (i, c) in self.rest.char_indices() {
            match c {
                '[' | '(' => depth += 1,
                ']' | ')' => depth = depth.checked_sub(1).ok_or("unbalanced brackets")?,
                _ => {}
            }
            if depth == 0 {
                let list = self.rest[..=i].to_string();
                self.rest = &self.rest[i + 1..];
                return Ok(list);
            }
        }
        Err("unterminated list".into())
    }

    fn boolean(&mut self) -> std::result::Result<bool, String> {
        if let Some(rest) = self.rest.strip_prefix("True") {
            self.rest = rest;
            Ok(true)
        } else if let Some(rest) = self.rest.strip_prefix("False") {
            self.rest = rest;
            Ok(false)
        } else {
            Err("expected True or False".into())
        }
    }

    fn tuple(&mut self) -> std::result::Result<Vec<usize>, String> {
        self.expect('(')?;
        let mut dims = Vec::new();
        loop {
            self.skip_space();
            if self.eat(')') {
                return Ok(dims);
            }
            let digits = self
                .rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(self.rest.len());
            let dim = self.rest[..digits]
                .parse::<usize>()
                .map_err(|_| "expected a dimension")?;
            dims.push(dim);
            self.rest = &self.rest[digits..];
            self.skip_space();
            if !self.eat(',') {
                self.skip_space();
                self.expect(')')?;
                return Ok(dims);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_parse_in_any_style_numpy_or_others_write() {
        let h =
            parse_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }   ").unwrap();
        assert_eq!(
            h,
            Header {
                descr: "<f4".into(),
                fortran_order: false,
                shape: vec![3, 4]
            }
        );
        let h = parse_header("{\"shape\":(7,),\"fortran_order\":True,\"descr\":\">c8\"}").unwrap();
        assert_eq!(
            (parse_descr(&h.descr).unwrap(), h.fortran_order, h.shape),
            ((DType::C64, NATIVE != '>'), true, vec![7])
        );
        for (descr, dtype) in [
            ("|i1", DType::I8),
            ("<i2", DType::I16),
            ("<u2", DType::U16),
            ("<u4", DType::U32),
            ("<u8", DType::U64),
            ("<c16", DType::C128),
        ] {
            assert_eq!(parse_descr(descr).unwrap(), (dtype, false), "{descr}");
        }
        let structured = "{'descr': [('x', '<f4', (2,)), ('y', '<i8')], 'fortran_order': False, \
                          'shape': (3,)}";
        let h = parse_header(structured).unwrap();
        assert_eq!(h.descr, "[('x', '<f4', (2,)), ('y', '<i8')]");
        for (descr, kind) in [
            ("<f16", "unsupported dtype <f16 (a float)"),
            ("<c32", "unsupported dtype <c32 (a complex number)"),
            ("<M8[ns]", "unsupported dtype <M8[ns] (datetime64)"),
            ("<U5", "(a string)"),
            ("|O", "(Python objects)"),
            (h.descr.as_str(), "(a structured dtype)"),
        ] {
            let message = parse_descr(descr).unwrap_err();
            assert!(message.contains(kind), "{message}");
        }
        assert_eq!(
            parse_header("{'descr': '|b1', 'fortran_order': False, 'shape': ()}")
                .unwrap()
                .shape,
            Vec::<usize>::new()
        );
        for bad in [
            "{'descr': '<f4', 'fortran_order': False}",
            "{'descr': [('x', '<f4'), 'fortran_order': False, 'shape': (1,)}",
            "{'descr': [('x', '<f4'))], 'fortran_order': False, 'shape': (1,)}",
            "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}",
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,)}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)} trailing",
            "{'descr: '<f4'",
        ] {
            assert!(parse_header(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn headers_align_the_data_to_64_bytes() {
        for shape in [&[][..], &[5], &[3, 4], &[100_000, 3, 7, 2]] {
            let h = header("<f8", shape);
            assert_eq!(h.len() % ALIGN, 0);
            assert_eq!(*h.last().unwrap(), b'\n');
            assert_eq!(
                h.len() as u128,
                file_size(shape, DType::U8) - shape.iter().product::<usize>() as u128
            );
        }
    }
}
