//! A panic hook that reports what happened. A panic in WebAssembly traps, and
//! the module cannot be used again on that page, so the console message
//! must tell the developer why every later call fails.

use std::sync::Once;

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn console_error(message: &str);
}

static INSTALL: Once = Once::new();

/// Installs the hook once; every exported constructor calls this.
pub(crate) fn install_panic_hook() {
    INSTALL.call_once(|| {
        // The earlier hook still runs afterwards, so a test harness that
        // installed one keeps its own report.
        let earlier = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            console_error(&format!(
                "[zephr-session] internal error: {info}. The module stops working until the \
                 page is reloaded. Please report this message to the zephr-session maintainers."
            ));
            earlier(info);
        }));
    });
}
