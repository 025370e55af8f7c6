//! The module's panic handler. A panic in WebAssembly traps and may leave
//! the module's state broken for the rest of the page, so the console
//! message must tell the developer what failed and where.
//!
//! The module is built without the standard library, and without its panic
//! hook, lock and message formatting the bundle is 4.5 KB smaller gzipped
//! (BENCHMARKS.md). This handler passes the parts of its report to
//! `console.error` unchanged. It allocates nothing, because a panic can
//! come from a failed allocation.
//!
//! NOTE: no test reaches this handler, because no input is known to make
//! the module panic.

use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `console.error`, which joins its arguments with spaces.
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(
        prefix: &str,
        message: &str,
        at: &str,
        file: &str,
        line_label: &str,
        line: u32,
        advice: &str,
    );
}

#[panic_handler]
fn on_panic(info: &PanicInfo<'_>) -> ! {
    static REPORTED: AtomicBool = AtomicBool::new(false);
    // A second panic, such as one inside the console call, traps at once.
    if !REPORTED.swap(true, Ordering::Relaxed) {
        // Formatting a message with arguments would bring back the
        // formatting code, so only a fixed message is shown. The file and
        // line locate the rest.
        let message = info
            .message()
            .as_str()
            .unwrap_or("a panic whose message this build does not format");
        let (file, line) = info.location().map_or(("an unknown place", 0), |place| {
            (place.file(), place.line())
        });
        console_error(
            "[zephr-session] internal error:",
            message,
            "at",
            file,
            "line",
            line,
            "- the module's state may be broken from here on, so reload the page, and \
             please report this message to the zephr-session maintainers.",
        );
    }
    core::arch::wasm32::unreachable()
}
