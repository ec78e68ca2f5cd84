//! Network grants for components: what the C API cannot say.
//!
//! Wasmtime 48's WASI denies TCP, UDP and name lookups by default, and its C
//! API can only allow every address (`wasi_config_inherit_network`). The
//! runner grants per address, so this file adds one function that switches
//! TCP and UDP on and installs the runner's own address check, consulted by
//! wasmtime-wasi at every bind, listen, accept, connect, send and receive.
//!
//! `wasi_config_t` is `#[repr(C)] struct { builder: WasiCtxBuilder }` in
//! wasmtime-c-api-impl 48.0.8, so a pointer to one is a pointer to its
//! builder. Cargo.toml pins both crates to that exact version, and the
//! assertions below stop the build if the layout ever differs.
use std::ffi::c_void;
use std::net::SocketAddr;
use wasmtime_c_api::wasi_config_t;
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi::sockets::SocketAddrUse;

const _: () = assert!(std::mem::size_of::<wasi_config_t>() == std::mem::size_of::<WasiCtxBuilder>());
const _: () = assert!(std::mem::align_of::<wasi_config_t>() == std::mem::align_of::<WasiCtxBuilder>());

/// One socket address, as the runner's check sees it.
#[repr(C)]
pub struct SocketAddress {
    /// 4 or 6.
    pub family: u8,
    /// The address in network order: 4 bytes used for IPv4, 16 for IPv6.
    pub bytes: [u8; 16],
    pub port: u16,
}

/// What the address is used for: the values of wasibuild's `SocketUse`.
fn use_code(use_: SocketAddrUse) -> u32 {
    match use_ {
        SocketAddrUse::TcpBind => 0,
        SocketAddrUse::TcpListen => 1,
        SocketAddrUse::TcpAccept => 2,
        SocketAddrUse::TcpConnect => 3,
        SocketAddrUse::UdpBind => 4,
        SocketAddrUse::UdpSend => 5,
        SocketAddrUse::UdpReceive => 6,
    }
}

fn to_c(address: SocketAddr) -> SocketAddress {
    let mut bytes = [0u8; 16];
    let family = match address {
        SocketAddr::V4(v4) => {
            bytes[..4].copy_from_slice(&v4.ip().octets());
            4
        }
        SocketAddr::V6(v6) => {
            bytes.copy_from_slice(&v6.ip().octets());
            6
        }
    };
    SocketAddress { family, bytes, port: address.port() }
}

pub type SocketCheck =
    extern "C" fn(data: *mut c_void, use_: u32, address: *const SocketAddress) -> bool;

/// The runner's check and its data; the data is freed with `finalize` when
/// the WASI context that holds the check is dropped.
struct Check {
    call: SocketCheck,
    data: *mut c_void,
    finalize: Option<extern "C" fn(*mut c_void)>,
}

// The runner's check only reads its grants (and writes whole lines to
// stderr), so it may be called from any thread, as wasmtime-wasi requires.
unsafe impl Send for Check {}
unsafe impl Sync for Check {}

impl Drop for Check {
    fn drop(&mut self) {
        if let Some(finalize) = self.finalize {
            finalize(self.data);
        }
    }
}

/// Allows TCP and UDP sockets, each address checked by `check`, and name
/// lookups when `dns` is true. Without this call a component gets none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn wasibuild_wasi_config_network(
    config: &mut wasi_config_t,
    tcp: bool,
    udp: bool,
    dns: bool,
    check: SocketCheck,
    data: *mut c_void,
    finalize: Option<extern "C" fn(*mut c_void)>,
) {
    let builder = unsafe { &mut *(config as *mut wasi_config_t as *mut WasiCtxBuilder) };
    let check = std::sync::Arc::new(Check { call: check, data, finalize });
    builder.allow_tcp(tcp).allow_udp(udp).allow_ip_name_lookup(dns);
    builder.socket_addr_check(move |address, use_| {
        let address = to_c(address);
        let allowed = (check.call)(check.data, use_code(use_), &address);
        Box::pin(async move { allowed })
    });
}
