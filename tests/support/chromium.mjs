// How every Node-driven browser test and the benchmark start Chromium:
// Debian's package, headless, with no background connections, which this
// machine's closed network would refuse.

/** The Chromium binary that scripts/setup.sh installs. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Launch arguments: no sandbox (the tests run as root), no GPU, and no background traffic. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
