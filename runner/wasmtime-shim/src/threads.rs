//! wasi-threads: one preview-1 state for every thread of a module.
//!
//! A `wasm32-wasip1-threads` module runs one instance per thread, each in a
//! store of its own, all sharing one memory. POSIX wants one process state
//! behind them (a file opened by one thread is read by another), but the C
//! API's `wasmtime_linker_define_wasi` reads each store's own `WasiP1Ctx`.
//! This file gives the runner one `WasiP1Ctx` for all of them:
//!
//! - `wasibuild_shared_wasi_new` builds it from the runner's `wasi_config_t`;
//! - `wasibuild_linker_define_shared_wasi` defines the preview-1 functions
//!   with wasmtime-wasi's own bindings, whose getter locks that context for
//!   the calling thread;
//! - `wasibuild_store_unlock_wasi_after_host_calls` installs a call hook on a
//!   thread's store that releases the lock when the host call returns, so
//!   the lock covers exactly one preview-1 call. wasmtime-wasi's getter is a
//!   plain `&mut WasiP1Ctx` (its generated trait is private), which is why
//!   the lock is held in a thread-local between the two.
//!
//! `wasmtime_linker_t` and `wasmtime_store_t` are single-field structs
//! around `Linker<WasmtimeStoreData>` and `Store<WasmtimeStoreData>` in
//! wasmtime-c-api-impl 48.0.8 (pinned in Cargo.toml); the assertions below
//! stop the build if their sizes ever differ.
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};
use wasmtime::{CallHook, Linker, Store};
use wasmtime_c_api::{WasmtimeStoreData, wasi_config_t, wasmtime_error_t, wasmtime_linker_t, wasmtime_store_t};
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::p1::WasiP1Ctx;

const _: () = assert!(size_of::<wasmtime_linker_t>() == size_of::<Linker<WasmtimeStoreData>>());
const _: () = assert!(align_of::<wasmtime_linker_t>() == align_of::<Linker<WasmtimeStoreData>>());
const _: () = assert!(size_of::<wasmtime_store_t>() == size_of::<Store<WasmtimeStoreData>>());
const _: () = assert!(align_of::<wasmtime_store_t>() == align_of::<Store<WasmtimeStoreData>>());

/// The one preview-1 state of a threads run. The runner frees it after the
/// last store and linker that use it.
pub struct SharedWasi {
    context: Mutex<WasiP1Ctx>,
    /// Set when the run has ended: no thread makes another call.
    closed: AtomicBool,
}

thread_local! {
    /// The lock this thread holds during one preview-1 call, if any.
    static HELD: RefCell<Option<MutexGuard<'static, WasiP1Ctx>>> = const { RefCell::new(None) };
}

/// A copyable handle the linker's getter captures (wasmtime-wasi requires
/// a `Copy` getter). The runner keeps the context alive past every store.
#[derive(Clone, Copy)]
struct SharedHandle(*const SharedWasi);
unsafe impl Send for SharedHandle {}
unsafe impl Sync for SharedHandle {}

impl SharedHandle {
    /// Locks the context for this thread's current host call (once: a
    /// second lookup in the same call reuses the held lock).
    fn lock_for_call(self) -> &'static mut WasiP1Ctx {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            let guard = held.get_or_insert_with(|| {
                // Sound while the runner keeps the context alive past the
                // stores, which it does (SharedWasi's documentation).
                let shared: &'static SharedWasi = unsafe { &*self.0 };
                let guard = shared.context.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if shared.closed.load(Ordering::Acquire) {
                    // The run is over: this thread's call never happens.
                    drop(guard);
                    loop {
                        std::thread::park();
                    }
                }
                guard
            });
            // The reference lives until the host call returns; the call hook
            // drops the guard only then.
            unsafe { &mut *(&mut **guard as *mut WasiP1Ctx) }
        })
    }
}

fn unlock_after_host_call() {
    let _ = HELD.try_with(|held| held.borrow_mut().take());
}

/// Builds the shared preview-1 state from `config`, which it takes over
/// (as `wasmtime_context_set_wasi` would).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasibuild_shared_wasi_new(config: *mut wasi_config_t) -> *mut SharedWasi {
    let mut config = unsafe { Box::from_raw(config) };
    let builder = unsafe { &mut *(config.as_mut() as *mut wasi_config_t as *mut WasiCtxBuilder) };
    let context = builder.build_p1();
    Box::into_raw(Box::new(SharedWasi { context: Mutex::new(context), closed: AtomicBool::new(false) }))
}

/// Ends the shared state's use: a thread that makes a preview-1 call from
/// now on stops in it for good. Waits up to `patience_ms` for a call in
/// flight to finish; false if one is still running then (blocked in the
/// host, it finishes on its own).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasibuild_shared_wasi_close(shared: *const SharedWasi, patience_ms: u32) -> bool {
    let shared = unsafe { &*shared };
    shared.closed.store(true, Ordering::Release);
    let until = Instant::now() + Duration::from_millis(u64::from(patience_ms));
    loop {
        match shared.context.try_lock() {
            Ok(_) | Err(TryLockError::Poisoned(_)) => return true,
            Err(TryLockError::WouldBlock) if Instant::now() >= until => return false,
            Err(TryLockError::WouldBlock) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasibuild_shared_wasi_delete(shared: *mut SharedWasi) {
    if !shared.is_null() {
        drop(unsafe { Box::from_raw(shared) });
    }
}

/// Defines every preview-1 function in `linker` over `shared`. Stores that
/// instantiate through it need `wasibuild_store_unlock_wasi_after_host_calls`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasibuild_linker_define_shared_wasi(
    linker: &mut wasmtime_linker_t,
    shared: *const SharedWasi,
) -> *mut wasmtime_error_t {
    let linker = unsafe { &mut *(linker as *mut wasmtime_linker_t as *mut Linker<WasmtimeStoreData>) };
    let handle = SharedHandle(shared);
    match wasmtime_wasi::p1::add_to_linker_sync(linker, move |_| handle.lock_for_call()) {
        Ok(()) => std::ptr::null_mut(),
        Err(error) => Box::into_raw(Box::new(wasmtime_error_t::from(error))),
    }
}

/// Releases this thread's lock on the shared preview-1 state whenever a host
/// call of `store` returns (with a result or a trap).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasibuild_store_unlock_wasi_after_host_calls(store: &mut wasmtime_store_t) {
    let store = unsafe { &mut *(store as *mut wasmtime_store_t as *mut Store<WasmtimeStoreData>) };
    store.call_hook(|_, hook| {
        if matches!(hook, CallHook::ReturningFromHost) {
            unlock_after_host_call();
        }
        Ok(())
    });
}
