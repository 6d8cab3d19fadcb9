//! `.npz`: named arrays in a zip archive, as `np.savez` writes them (a model's parameters).
//!
//! Writing stores each tensor uncompressed as `<name>.npy`, like `np.savez`. Reading takes stored
//! and deflated entries (`np.savez_compressed`). A deflated entry is never trusted for more than
//! deflate can produce from its compressed bytes, so a zip bomb is refused before any allocation.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::atomic::{io_error, write_atomically};
use super::{npy, require_unique_names};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::tensor::Tensor;

/// Deflate cannot expand data by more than this factor (258-byte matches from 2-bit codes).
const MAX_DEFLATE_RATIO: u64 = 1032;

/// Writes `tensors` to `path` as an `.npz` archive of `<name>.npy` entries, atomically.
/// Names must be unique and non-empty; every tensor must be detached and not bf16.
pub fn save(path: impl AsRef<Path>, tensors: &[(&str, &Tensor)]) -> Result<()> {
    let path = path.as_ref();
    require_unique_names("npz::save", tensors)?;
    let mut entries = Vec::with_capacity(tensors.len());
    for &(name, tensor) in tensors {
        if let Some(why) = unsafe_member(name) {
            return Err(Error::InvalidArgument {
                op: "npz::save",
                message: format!(
                    "array name {name:?} {why}: a tool that extracts the archive would write \
                     outside its folder; use a relative name without '..'"
                ),
            });
        }
        entries.push((name, tensor, npy::descr(tensor)?));
    }
    let zip_error = |e: zip::result::ZipError| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(e),
    };
    write_atomically(path, |w| {
        let mut zip = ZipWriter::new(w);
        for (name, tensor, descr) in entries {
            let large = npy::file_size(tensor.shape(), tensor.dtype()) >= u32::MAX as u128;
            let options = SimpleFileOptions::default()
                .compression_method(CompressionMethod::Stored)
                .large_file(large);
            zip.start_file(format!("{name}.npy"), options)
                .map_err(zip_error)?;
            npy::write_descr(&mut zip, tensor, descr, path)?;
        }
        zip.finish().map_err(zip_error)?;
        Ok(())
    })
}

/// Reads every array of an `.npz` archive, in archive order, named as `np.load` names them
/// (the entry name without its `.npy`).
pub fn load(path: impl AsRef<Path>, device: &Device) -> Result<Vec<(String, Tensor)>> {
    let path = path.as_ref();
    let invalid = |message: String| Error::InvalidFile {
        path: path.to_path_buf(),
        message,
    };
    let file = File::open(path).map_err(io_error(path))?;
    let mut archive = ZipArchive::new(BufReader::new(file))
        .map_err(|e| invalid(format!("not a valid .npz: {e}")))?;
    let mut arrays = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| invalid(format!("entry {index}: {e}")))?;
        let name = entry
            .name()
            .map_err(|e| invalid(format!("entry {index}: {e}")))?
            .to_string();
        if let Some(why) = unsafe_member(&name) {
            return Err(invalid(format!(
                "entry {name:?} {why}, which extracting the archive would write outside its \
                 folder"
            )));
        }
        let entry_path = PathBuf::from(format!("{}/{name}", path.display()));
        let available = match entry.compression() {
            CompressionMethod::Stored => entry.size(),
            CompressionMethod::Deflated => entry
                .size()
                .min(entry.compressed_size().saturating_mul(MAX_DEFLATE_RATIO)),
            other => {
                return Err(invalid(format!(
                    "entry {name:?} uses {other}; .npz entries are stored or deflated"
                )));
            }
        };
        let array = npy::read(&mut entry, available, &entry_path)?;
        let key = name.strip_suffix(".npy").unwrap_or(&name).to_string();
        arrays.push((key, Tensor::from_dyn_array(array, device)?));
    }
    Ok(arrays)
}

/// Why a member name could escape the folder an archive is extracted into (absolute, with a
/// drive, or climbing out through `..`), or `None` when it is safe.
fn unsafe_member(name: &str) -> Option<&'static str> {
    let mut segments = name.split(['/', '\\']);
    if name.starts_with(['/', '\\']) {
        Some("is absolute")
    } else if name.as_bytes().get(1) == Some(&b':') {
        Some("starts with a drive")
    } else if segments.any(|segment| segment == "..") {
        Some("climbs out through '..'")
    } else {
        None
    }
}
