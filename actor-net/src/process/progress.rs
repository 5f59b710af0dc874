//! The progress record: one page of shared memory in which a hosted actor's
//! child process stores two sequence numbers, *started* (the message whose
//! handler runs, or last ran) and *finished* (the last message whose handler
//! returned), 0 meaning none yet. The child's stores land in the page cache
//! the moment they are made, so after the child dies, even by SIGKILL, the
//! parent reads exactly where it was; no message the child would have had to
//! send can say that.
//!
//! The parent creates the record ([`ProgressFile`]): a file of one page,
//! mode 0600, under a random name, created exclusively so that nothing can
//! be planted in its place. The child opens it by the path the hand-over
//! gives ([`ProgressRecord`]), refusing anything that is not such a file,
//! and keeps the mapping for its whole life ([`ProgressRecord::leak`]). Once
//! both have it mapped the parent removes the name; the mappings stay valid.
//!
//! Both sides map the page `MAP_SHARED` and see it as two `AtomicU64`, at
//! offsets 0 (*started*) and 8 (*finished*). Lock-free 64-bit atomics on
//! shared memory are coherent across processes on every target with them
//! (`target_has_atomic = "64"`), which this module requires.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use ring::rand::{SecureRandom, SystemRandom};

#[cfg(not(target_has_atomic = "64"))]
compile_error!("the progress record needs lock-free 64-bit atomics");

/// The size of a progress record's file: one page on the usual targets. On
/// targets with larger pages the mapping still starts on a page boundary and
/// only the first 16 bytes are ever touched, all within the file.
pub const RECORD_LEN: usize = 4096;

/// What names of record files start with, so that a stray one (a parent that
/// died before removing its record) says what it was.
const NAME_PREFIX: &str = "actor-progress-";

/// The directory in which records are best created: `/dev/shm` where it
/// exists (memory only, nothing ever written back to a disk), else the
/// system's temporary directory.
pub fn default_dir() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// What went wrong creating, opening or removing a progress record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProgressError {
    /// The system's random source failed, so no unguessable name could be
    /// drawn.
    #[error("no random name could be drawn for a progress record in {dir}: the system's random source failed; check that getrandom(2) or /dev/urandom works")]
    Random {
        /// The directory the record was to be created in.
        dir: PathBuf,
    },
    /// The parent could not create the record's file, or give it its size.
    #[error("could not create the progress record {path}: {source}; check that the directory exists and is writable, and that nothing is at that path already")]
    Create {
        /// The file's path.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The child could not open the record's file.
    #[error("could not open the progress record {path}: {source}; pass the path the parent handed over, while the parent still has the record (it removes the name once both sides have it open), and refuse a symbolic link there")]
    Open {
        /// The file's path.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// What is at the path is not a record a parent of this user created: a
    /// planted file, of another size, owner or mode, or not a file at all.
    #[error("{path} is not a progress record ({reason}); refused, since only the parent creates records; pass the path it handed over")]
    NotARecord {
        /// The file's path.
        path: PathBuf,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// The record's file could not be mapped.
    #[error("could not map the progress record {path}: {source}; check the process's memory and mapping limits (ulimit -v, vm.max_map_count)")]
    Map {
        /// The file's path.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// The record's name could not be removed.
    #[error("could not remove the progress record {path}: {source}; remove the file by hand, it holds nothing once both processes are gone")]
    Remove {
        /// The file's path.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
}

/// The parent's side of a progress record: creates its file, maps it, reads
/// it, and removes the file when asked or when dropped.
pub struct ProgressFile {
    mapping: Mapping,
    path: PathBuf,
    removed: std::sync::atomic::AtomicBool,
}

impl ProgressFile {
    /// Creates a record in `dir` under a random name that nobody can guess
    /// (128 bits from the system's random source), so that another user
    /// cannot take the name before the parent does.
    pub fn create(dir: &Path) -> Result<ProgressFile, ProgressError> {
        let mut bytes = [0u8; 16];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| ProgressError::Random {
                dir: dir.to_path_buf(),
            })?;
        let mut name = String::with_capacity(NAME_PREFIX.len() + 2 * bytes.len());
        name.push_str(NAME_PREFIX);
        for byte in bytes {
            name.push_str(&format!("{byte:02x}"));
        }
        ProgressFile::create_at(&dir.join(name))
    }

    /// Creates a record at exactly `path`, failing if anything is there
    /// already, a dangling symbolic link included (`O_EXCL`): what is at the
    /// path afterwards is the file this call made, or nothing.
    pub fn create_at(path: &Path) -> Result<ProgressFile, ProgressError> {
        let create = |source| ProgressError::Create {
            path: path.to_path_buf(),
            source,
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
            .map_err(create)?;
        // From here the file is ours: a failure removes it, so that none is
        // left behind for nobody.
        let mapped = file
            .set_len(RECORD_LEN as u64)
            .map_err(create)
            .and_then(|()| Mapping::new(&file, path));
        match mapped {
            Ok(mapping) => Ok(ProgressFile {
                mapping,
                path: path.to_path_buf(),
                removed: std::sync::atomic::AtomicBool::new(false),
            }),
            Err(error) => {
                let _ = std::fs::remove_file(path);
                Err(error)
            }
        }
    }

    /// Where the record's file is (or was, once removed): the path to hand
    /// to the child.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The sequence number of the last message the child started, 0 if none.
    pub fn started(&self) -> u64 {
        self.mapping.started().load(Ordering::Acquire)
    }

    /// The sequence number of the last message the child finished, 0 if
    /// none.
    pub fn finished(&self) -> u64 {
        self.mapping.finished().load(Ordering::Acquire)
    }

    /// Removes the record's name, once the child has it open; both mappings
    /// stay valid, and nothing is left to clean up if either process dies.
    /// Removing it again does nothing.
    pub fn remove_file(&self) -> Result<(), ProgressError> {
        if self.removed.load(std::sync::atomic::Ordering::Acquire) {
            return Ok(());
        }
        std::fs::remove_file(&self.path).map_err(|source| ProgressError::Remove {
            path: self.path.clone(),
            source,
        })?;
        self.removed
            .store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }
}

impl Drop for ProgressFile {
    fn drop(&mut self) {
        if !self.removed.load(std::sync::atomic::Ordering::Acquire) {
            // Best effort: a drop has no one to report to, and the file
            // holds no secret.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl fmt::Debug for ProgressFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressFile")
            .field("path", &self.path)
            .field(
                "removed",
                &self.removed.load(std::sync::atomic::Ordering::Relaxed),
            )
            .field("started", &self.started())
            .field("finished", &self.finished())
            .finish()
    }
}

/// The child's side of a progress record: opens the file its parent created
/// and maps it.
pub struct ProgressRecord {
    mapping: Mapping,
}

impl ProgressRecord {
    /// Opens the record at `path`, refusing anything but a regular file of
    /// [`RECORD_LEN`] bytes owned by this process's user and private to it
    /// (no access for group or others). A symbolic link at `path` is refused
    /// too (`O_NOFOLLOW`), and the checks are made on the opened file, so
    /// nothing can be swapped in between check and use. A file that someone
    /// else could write or truncate would let them forge the progress, or
    /// kill the child with SIGBUS.
    pub fn open(path: &Path) -> Result<ProgressRecord, ProgressError> {
        // O_NONBLOCK: opening a planted FIFO must fail the checks below, not
        // wait for a writer.
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(path)
            .map_err(|source| ProgressError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let metadata = file.metadata().map_err(|source| ProgressError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let refuse = |reason| ProgressError::NotARecord {
            path: path.to_path_buf(),
            reason,
        };
        if !metadata.file_type().is_file() {
            return Err(refuse("not a regular file"));
        }
        if metadata.len() != RECORD_LEN as u64 {
            return Err(refuse("not of the size of a record"));
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let uid = unsafe { libc::geteuid() };
        if metadata.uid() != uid {
            return Err(refuse("owned by another user"));
        }
        if metadata.mode() & 0o077 != 0 {
            return Err(refuse("open to other users"));
        }
        Ok(ProgressRecord {
            mapping: Mapping::new(&file, path)?,
        })
    }

    /// Stores the sequence number of the message whose handler starts.
    pub fn set_started(&self, sequence: u64) {
        self.mapping.started().store(sequence, Ordering::Release);
    }

    /// Stores the sequence number of the message whose handler returned.
    pub fn set_finished(&self, sequence: u64) {
        self.mapping.finished().store(sequence, Ordering::Release);
    }

    /// Keeps the mapping for the rest of the process's life and returns its
    /// two counters, *started* and *finished*: what the child's runtime
    /// stores in the hosted actor's cell, so that a message loop reaches
    /// them without any indirection. The page is never unmapped.
    pub fn leak(self) -> (&'static AtomicU64, &'static AtomicU64) {
        let base = self.mapping.base;
        std::mem::forget(self);
        // SAFETY: the mapping was forgotten above, so it is never unmapped:
        // the page stays mapped (readable and writable) until the process
        // ends, and the two counters are valid for 'static (see
        // `Mapping::started` for their alignment and sharing).
        unsafe { (&*base.as_ptr(), &*base.as_ptr().add(1)) }
    }
}

impl fmt::Debug for ProgressRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressRecord")
            .field("started", &self.mapping.started().load(Ordering::Acquire))
            .field("finished", &self.mapping.finished().load(Ordering::Acquire))
            .finish()
    }
}

/// One record's page, mapped shared, readable and writable; unmapped on
/// drop.
struct Mapping {
    /// The start of the page, seen as its first counter.
    base: NonNull<AtomicU64>,
}

// SAFETY: the mapping is plain memory, valid in every thread of the process
// until dropped, and it is only ever reached through the `AtomicU64`s, which
// are `Sync`: moving or sharing it between threads is sound.
unsafe impl Send for Mapping {}
// SAFETY: as for `Send`: shared access is atomic.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps the first [`RECORD_LEN`] bytes of `file` (whose path, for
    /// errors, is `path`), which must already be that long. The descriptor
    /// may be closed afterwards: the mapping keeps the file alive.
    fn new(file: &File, path: &Path) -> Result<Mapping, ProgressError> {
        // SAFETY: a fresh mapping (null hint) overlaps nothing of ours, and
        // the descriptor is open (borrowed `file`) for the length of the
        // call. The result is checked for MAP_FAILED before any use.
        let address = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                RECORD_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if address == libc::MAP_FAILED {
            return Err(ProgressError::Map {
                path: path.to_path_buf(),
                source: io::Error::last_os_error(),
            });
        }
        let base = NonNull::new(address.cast::<AtomicU64>())
            .expect("mmap without MAP_FIXED never maps page zero");
        Ok(Mapping { base })
    }

    /// *started*, the counter at offset 0.
    fn started(&self) -> &AtomicU64 {
        // SAFETY: `base` is the start of a live mapping of RECORD_LEN
        // readable and writable bytes (until `self` drops, which the borrow
        // outlives), page-aligned by mmap and so aligned for an AtomicU64.
        // The memory is only ever accessed atomically, by this process and
        // the other one sharing the page, so no non-atomic access races.
        unsafe { self.base.as_ref() }
    }

    /// *finished*, the counter at offset 8.
    fn finished(&self) -> &AtomicU64 {
        // SAFETY: as in `started`: offset 8 is within the mapping and, the
        // base being page-aligned, aligned for an AtomicU64.
        unsafe { &*self.base.as_ptr().add(1) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base` and RECORD_LEN are exactly what mmap returned and
        // was given, and no reference into the page outlives `self` (the
        // counters are borrowed from it; `leak` forgets it instead).
        let unmapped = unsafe { libc::munmap(self.base.as_ptr().cast(), RECORD_LEN) };
        debug_assert_eq!(unmapped, 0, "munmap of our own mapping failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record's two sides see each other's stores, and its file is
    /// created private to its user, of one page.
    #[test]
    fn both_sides_share_the_counters() {
        let file = ProgressFile::create(&std::env::temp_dir()).expect("a record");
        let metadata = std::fs::metadata(file.path()).expect("its file");
        assert_eq!(metadata.len(), RECORD_LEN as u64);
        assert_eq!(metadata.mode() & 0o777 & !0o600, 0, "private to its user");
        assert!(file
            .path()
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(NAME_PREFIX) && n.len() == NAME_PREFIX.len() + 32));
        assert_eq!((file.started(), file.finished()), (0, 0));
        let record = ProgressRecord::open(file.path()).expect("the child's side");
        record.set_started(7);
        record.set_finished(6);
        assert_eq!((file.started(), file.finished()), (7, 6));
    }

    /// Removing the name leaves both mappings working, and a record's drop
    /// removes a name not yet removed.
    #[test]
    fn the_name_goes_the_mappings_stay() {
        let file = ProgressFile::create(&std::env::temp_dir()).expect("a record");
        let (started, finished) = ProgressRecord::open(file.path())
            .expect("the child's side")
            .leak();
        file.remove_file().expect("removed");
        assert!(!file.path().exists());
        file.remove_file().expect("removing again does nothing");
        started.store(3, Ordering::Release);
        finished.store(2, Ordering::Release);
        assert_eq!((file.started(), file.finished()), (3, 2));

        let kept = ProgressFile::create(&std::env::temp_dir()).expect("a record");
        let path = kept.path().to_path_buf();
        drop(kept);
        assert!(!path.exists(), "a dropped record removes its file");
    }

    /// Records names are drawn at random: two are never the same.
    #[test]
    fn names_differ() {
        let a = ProgressFile::create(&std::env::temp_dir()).expect("a record");
        let b = ProgressFile::create(&std::env::temp_dir()).expect("a record");
        assert_ne!(a.path(), b.path());
    }

    /// The default directory is one.
    #[test]
    fn default_dir_is_a_directory() {
        assert!(default_dir().is_dir());
    }
}
