//! Timers and limits with short settings, on a bare axum server: stale connections (3007), WS
//! pings, token expiry during a session (3005, 3006) and the command rate limit (111).

#[cfg(test)]
mod cases;
