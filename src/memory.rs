//! How the process hands memory back to the system.

/// The block freed at start: glibc then keeps up to twice this much freed memory at the top of
/// its heap instead of handing it back at once.
const WARM_BLOCK: usize = 4 << 20;

/// Frees one 4 MB block at start so that glibc's allocator keeps freed memory for reuse.
///
/// glibc hands the top of its heap back to the system as soon as 128 KB of it is free, until the
/// process has freed one large block (served by `mmap`): from then on it keeps up to twice that
/// block's size (its dynamic `M_TRIM_THRESHOLD`). A worker that has been running a while got
/// there long ago; a fresh one did not, and every document it read and every page SQLite's cache
/// dropped and refetched faulted in fresh memory: 229,000 page faults and 2.68 s of CPU for
/// 10,000 spool jobs (`backroom worker --until-idle`, `perf stat`), about 5,000 and 1.6 s with
/// this. `mallopt` would say it directly but needs `unsafe`; freeing a block does it safely.
/// Without effect on other allocators (musl).
pub fn keep_freed_pages() {
    drop(std::hint::black_box(Vec::<u8>::with_capacity(WARM_BLOCK)));
}
