//! All-or-nothing writes: every file goes to a temporary file in its target directory first; only
//! when all are written are they renamed into place, and a failed rename removes the ones already
//! renamed. A failed export leaves nothing behind.

use super::{ExportError, OutFile};
use std::io::Write;
use std::path::{Path, PathBuf};

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `files` under `dir` (created if missing) atomically as a set; returns the paths written.
pub fn write_files_atomically(
    dir: &Path,
    files: &[OutFile],
    on_file: &mut dyn FnMut(&str),
) -> Result<Vec<PathBuf>, ExportError> {
    let mut created_dirs: Vec<PathBuf> = Vec::new();
    let result = write_all(dir, files, on_file, &mut created_dirs);
    if result.is_err() {
        // Deepest first; only directories this export created, and only if left empty.
        for d in created_dirs.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
    result
}

fn ensure_dir(d: &Path, created: &mut Vec<PathBuf>) -> Result<(), ExportError> {
    if d.is_dir() {
        return Ok(());
    }
    if let Some(parent) = d.parent().filter(|p| !p.as_os_str().is_empty()) {
        ensure_dir(parent, created)?;
    }
    std::fs::create_dir(d).map_err(io_err(d))?;
    created.push(d.to_path_buf());
    Ok(())
}

fn write_all(
    dir: &Path,
    files: &[OutFile],
    on_file: &mut dyn FnMut(&str),
    created: &mut Vec<PathBuf>,
) -> Result<Vec<PathBuf>, ExportError> {
    ensure_dir(dir, created)?;
    let mut staged = Vec::with_capacity(files.len());
    for f in files {
        let target = dir.join(&f.path);
        let parent = target.parent().unwrap_or(dir).to_path_buf();
        ensure_dir(&parent, created)?;
        let mut builder = tempfile::Builder::new();
        builder.prefix(".storenet-export-");
        // Temporary files are private (0600); the export is for the user's devices and tools.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            builder.permissions(std::fs::Permissions::from_mode(0o644));
        }
        let mut tmp = builder.tempfile_in(&parent).map_err(io_err(&parent))?;
        tmp.write_all(&f.bytes).map_err(io_err(&target))?;
        tmp.flush().map_err(io_err(&target))?;
        staged.push((tmp, target, &f.path));
    }
    let mut done: Vec<PathBuf> = Vec::with_capacity(staged.len());
    for (tmp, target, name) in staged.into_iter() {
        match tmp.persist(&target) {
            Ok(_) => {
                on_file(name);
                done.push(target);
            }
            Err(e) => {
                for p in &done {
                    let _ = std::fs::remove_file(p);
                }
                // The remaining temporary files delete themselves when dropped.
                return Err(ExportError::Io {
                    path: target,
                    source: e.error,
                });
            }
        }
    }
    Ok(done)
}
