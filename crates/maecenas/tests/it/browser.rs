//! Browser tests: headless Chromium (Debian `chromium`) driven by npm `playwright-core`.
