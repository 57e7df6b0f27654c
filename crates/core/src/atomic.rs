//! Atomic file writes: a temporary file in the same folder, synced, then renamed over the target,
//! so a reader (or a crash) never sees half a report or half a snapshot. A process killed
//! mid-write leaves its temporary file behind; the next gigcheck writing in that folder removes
//! it. Only dead writers' files go: the name holds the writer's process id, and a writer holds a
//! lock on its file (a process id alone says nothing about a gigcheck in another container
//! writing to the same folder).
//!
//! A path that is not a regular file — `/dev/null`, `/dev/stdout`, a named pipe — is written to
//! as it is: renaming over it would replace a device with a file.

use std::collections::BTreeSet;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const PREFIX: &str = ".gigcheck-";
const SUFFIX: &str = ".tmp";

/// Writes `contents` to `path` atomically, creating missing folders; the file keeps the mode of
/// the one it replaces. A device or pipe path is written to directly.
pub fn write(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_whole(File::create(path)?, contents)
}

/// [`write()`] for a file only its owner may read (mode 0600 on Unix), such as stored tokens.
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    write_whole(File::open_new(path, true)?, contents)
}

fn write_whole(mut file: File, contents: &[u8]) -> std::io::Result<()> {
    file.write_all(contents)?;
    file.commit()
}

/// Whether [`write()`] could put a file at `path`, found without writing it: the path is not a
/// folder, and its nearest existing ancestor is a folder this process may create files in
/// (the folders missing below it are created at write time). The error says which part is in
/// the way, for a message printed before anything is sent.
pub fn writable(path: &Path) -> Result<(), String> {
    if path.is_dir() {
        return Err(format!("{} is a folder; give a file name", path.display()));
    }
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        // A device or a pipe is written as it is; opening it here could wait for a reader.
        return Ok(());
    }
    let mut ancestor = path.parent();
    while let Some(dir) = ancestor {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {
                return tempfile::Builder::new()
                    .prefix(PREFIX)
                    .suffix(SUFFIX)
                    .tempfile_in(dir)
                    .map(drop)
                    .map_err(|e| format!("cannot create files in {}: {e}", dir.display()));
            }
            Ok(_) => {
                return Err(format!(
                    "{} is a file, not a folder, so nothing can be written under it",
                    dir.display()
                ));
            }
            Err(_) => ancestor = dir.parent(),
        }
    }
    Ok(())
}

/// A file written bit by bit that appears at its path, whole, only on `File::commit`; dropped
/// uncommitted (an error, a crash), it leaves the path as it was.
pub(crate) struct File {
    target: Target,
    path: PathBuf,
    dir: PathBuf,
}

/// Where the bytes go until the commit.
enum Target {
    /// A temporary file, renamed over the path on commit.
    Temp(BufWriter<tempfile::NamedTempFile>),
    /// The path itself, which is not a regular file (a device, a pipe).
    Direct(BufWriter<std::fs::File>),
}

impl File {
    /// Starts a file that will replace `path` on commit, creating missing folders and
    /// sweeping dead writers' temporary files from its folder.
    pub(crate) fn create(path: &Path) -> std::io::Result<File> {
        File::open_new(path, false)
    }

    /// `private`: readable by its owner only, whatever the file it replaces allowed.
    fn open_new(path: &Path, private: bool) -> std::io::Result<File> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if std::fs::metadata(path).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = std::fs::OpenOptions::new().write(true).open(path)?;
            return Ok(File {
                target: Target::Direct(BufWriter::new(file)),
                path: path.to_path_buf(),
                dir: dir.to_path_buf(),
            });
        }
        std::fs::create_dir_all(dir)?;
        sweep_once(dir);
        let prefix = format!("{PREFIX}{}-", std::process::id());
        let mut builder = tempfile::Builder::new();
        builder.prefix(&prefix).suffix(SUFFIX);
        // Temporary files are private (0600); a report is not: keep the mode of the file being
        // replaced, or make it like any new file (0666 less the umask).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if private {
                0o600
            } else {
                std::fs::metadata(path).map_or(0o666, |m| m.permissions().mode() & 0o7777)
            };
            builder.permissions(std::fs::Permissions::from_mode(mode));
        }
        #[cfg(not(unix))]
        let _ = private;
        let tmp = builder.tempfile_in(dir)?;
        // Where locks are not supported the pid check alone guards the file.
        let _ = tmp.as_file().try_lock();
        Ok(File {
            target: Target::Temp(BufWriter::new(tmp)),
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        })
    }

    /// Syncs the text and puts it in place of whatever the path held.
    pub(crate) fn commit(self) -> std::io::Result<()> {
        let tmp = match self.target {
            Target::Direct(mut file) => return file.flush(),
            Target::Temp(tmp) => tmp,
        };
        let tmp = tmp.into_inner().map_err(|e| e.into_error())?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        // The rename itself is durable only once the folder is synced.
        if let Ok(folder) = std::fs::File::open(&self.dir) {
            let _ = folder.sync_all();
        }
        Ok(())
    }
}

/// Removes, once per folder and run, temporary files that killed gigcheck processes left there.
fn sweep_once(dir: &Path) {
    static SWEPT: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
    let Ok(mut swept) = SWEPT.lock() else { return };
    if !swept.insert(dir.to_path_buf()) {
        return;
    }
    drop(swept);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let dead = name
            .to_str()
            .and_then(writer_of)
            .is_some_and(|pid| pid != std::process::id() && !is_running(pid))
            && unlocked(&entry.path());
        if dead {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether nobody holds the lock a writer takes on its temporary file.
fn unlocked(path: &Path) -> bool {
    std::fs::File::open(path).is_ok_and(|f| f.try_lock().is_ok())
}

/// The process id in a temporary file's name: `.gigcheck-<pid>-<random>.tmp`.
fn writer_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    rest.split_once('-')?.0.parse().ok()
}

/// Whether a process is alive. Where that cannot be told (no `/proc`), every writer counts as
/// alive, so nothing is removed.
fn is_running(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new("/proc").join(pid.to_string()).exists()
}

impl Write for File {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &mut self.target {
            Target::Temp(tmp) => tmp.write(buf),
            Target::Direct(file) => file.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.target {
            Target::Temp(tmp) => tmp.flush(),
            Target::Direct(file) => file.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_creates_folders_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/report.xml");
        super::write(&path, b"one").unwrap();
        super::write(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn writable_names_what_is_in_the_way() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("out"), "a file").unwrap();
        let err = super::writable(&dir.path().join("out/x/report.html")).unwrap_err();
        assert!(
            err.ends_with("out is a file, not a folder, so nothing can be written under it"),
            "{err}"
        );
        let err = super::writable(dir.path()).unwrap_err();
        assert!(err.contains("is a folder"), "{err}");
        super::writable(&dir.path().join("new/deeper/report.html")).unwrap();
        super::writable(&dir.path().join("out")).unwrap();
        // Nothing was left behind by the check.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// Renaming over `/dev/null` would replace the device with a file (for every process on
    /// the machine): a path that is not a regular file is written as it is.
    #[cfg(unix)]
    #[test]
    fn a_device_or_a_pipe_is_written_to_not_replaced() {
        use std::os::unix::fs::FileTypeExt;
        super::write(std::path::Path::new("/dev/null"), b"nothing").unwrap();
        assert!(
            std::fs::metadata("/dev/null")
                .unwrap()
                .file_type()
                .is_char_device()
        );
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        super::write(&fifo, b"through the pipe").unwrap();
        assert_eq!(reader.join().unwrap(), "through the pipe");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }

    #[test]
    fn a_file_written_in_parts_appears_only_when_committed() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xml");
        std::fs::write(&path, "old").unwrap();
        let mut file = super::File::create(&path).unwrap();
        file.write_all(b"new ").unwrap();
        file.write_all(b"text").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old");
        file.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new text");
        let mut abandoned = super::File::create(&path).unwrap();
        abandoned.write_all(b"half").unwrap();
        drop(abandoned);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new text");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn temporary_files_of_dead_writers_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".gigcheck-999999999-abc.tmp");
        let mine = dir
            .path()
            .join(format!(".gigcheck-{}-abc.tmp", std::process::id()));
        let other = dir.path().join(".gigcheck-notes.tmp");
        // Another container's writer: its pid means nothing here, but it holds the lock.
        let elsewhere = dir.path().join(".gigcheck-999999998-abc.tmp");
        for f in [&dead, &mine, &other, &elsewhere] {
            std::fs::write(f, b"half").unwrap();
        }
        let held = std::fs::File::open(&elsewhere).unwrap();
        held.try_lock().unwrap();
        super::write(&dir.path().join("report.xml"), b"whole").unwrap();
        if std::path::Path::new("/proc/self").exists() {
            assert!(!dead.exists(), "a dead writer's file is removed");
        }
        assert!(mine.exists(), "a live writer's file is kept");
        assert!(other.exists(), "a file not named like ours is kept");
        assert!(elsewhere.exists(), "a locked file is kept");
        assert_eq!(super::writer_of(".gigcheck-42-x1y.tmp"), Some(42));
        assert_eq!(super::writer_of(".gigcheck-x1y.tmp"), None);
    }

    #[cfg(unix)]
    #[test]
    fn files_get_ordinary_permissions_not_the_temp_files_private_ones() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.xml");
        super::write(&path, b"one").unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let ordinary = dir.path().join("ordinary");
        std::fs::write(&ordinary, b"x").unwrap();
        assert_eq!(
            mode(&path),
            mode(&ordinary),
            "like any new file (umask applies)"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        super::write(&path, b"two").unwrap();
        assert_eq!(mode(&path), 0o640, "an existing file keeps its mode");
    }
}
