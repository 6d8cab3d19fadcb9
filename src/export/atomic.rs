//! Writing files so that a crash never leaves a truncated file under the real name.

use std::fs::{self, File, OpenOptions};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

static NEXT_TEMP: AtomicU64 = AtomicU64::new(0);

/// Maps an I/O error to [`Error::Io`] naming `path`.
pub(crate) fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A fresh temporary name beside `path`, in the same directory so that the rename stays atomic.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| Error::InvalidArgument {
        op: "save",
        message: format!("{} does not name a file", path.display()),
    })?;
    let unique = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    let temp = format!(
        ".{}.{}-{unique}.tmp",
        name.to_string_lossy(),
        std::process::id()
    );
    Ok(path.with_file_name(temp))
}

/// Writes `path` through `write`: into a temporary file beside it, flushed and synced, then
/// renamed over `path`. On any error the temporary file is removed and `path` is untouched.
pub(crate) fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let temp = temp_path(path)?;
    let result = (|| {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(io_error(&temp))?;
        let mut writer = BufWriter::with_capacity(1 << 20, file);
        write(&mut writer)?;
        let file = writer
            .into_inner()
            .map_err(|e| io_error(&temp)(e.into_error()))?;
        file.sync_all().map_err(io_error(&temp))?;
        fs::rename(&temp, path).map_err(io_error(path))
    })();
    if result.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = fs::remove_file(&temp);
        return result;
    }
    sync_parent(path);
    Ok(())
}

/// Makes the rename itself durable where the platform allows syncing a directory.
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        // A failure here loses no data: the file is complete under its name either way.
        let _ = File::open(parent).and_then(|dir| dir.sync_all());
    }
    #[cfg(not(unix))]
    let _ = path;
}
