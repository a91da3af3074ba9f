//! Memory a client holds: `size_of::<Client>()` and the heap it keeps after greeting and EHLO
//! (goal: under 4 KiB each), measured with a counting allocator in this test binary only.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use smtp_sansio::address::Host;
use smtp_sansio::{Client, Config, TlsPolicy};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as isize - layout.size() as isize, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn a_client_after_ehlo_is_small() {
    let config = Config::new(Host::parse("client.example.org").unwrap()).with_tls(TlsPolicy::None);
    let now = Instant::now();
    // Warm up anything built once per process (the diagnosis automaton) outside the count.
    let _ = smtp_sansio::diagnose_text(smtp_sansio::Stage::Rcpt, "550 5.1.1 User unknown");
    let before = LIVE.load(Ordering::SeqCst);
    let mut client = Client::new(config, now);
    client.receive(now, b"220 mx.example.com ESMTP Postfix\r\n");
    let n = client.pending_output().len();
    client.consume_output(now, n);
    client.receive(
        now,
        b"250-mx.example.com\r\n250-PIPELINING\r\n250-SIZE 35882577\r\n250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN XOAUTH2 PLAIN-CLIENTTOKEN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
    );
    while let Some(event) = client.poll_event() {
        drop(event);
    }
    let heap = LIVE.load(Ordering::SeqCst) - before;
    let size = std::mem::size_of::<Client>();
    let offers_pipelining = client.capabilities().is_some_and(|c| c.pipelining());
    drop(client);
    // Read before printing: the test harness's output capture allocates too.
    let left_after_drop = LIVE.load(Ordering::SeqCst) - before;
    println!("size_of::<Client>() = {size} bytes; heap held after EHLO = {heap} bytes");
    assert!(offers_pipelining);
    assert!(size < 4096, "{size}");
    assert!(heap < 4096, "{heap}");
    assert!(
        left_after_drop <= 0,
        "dropping the client frees what it held ({left_after_drop} bytes left)"
    );
}
