// bench/realtime peer: a Socket.IO 4.8.4 server (WebSocket transport only) holding idle
// connections and broadcasting a donation-sized event to all of them on request.
//   node server.js PORT
//   POST /emit?n=N  → io.emit("donation", payload) N times (the adapter encodes once per emit)
"use strict";
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 0);
const payload = {
  id: 1, name: "Donations", username: "Ann", message_type: "text",
  message: "a donation message of ordinary length, for the benchmark", amount: 500,
  currency: "RUB", is_shown: 0, amount_in_user_currency: 500, recipient_name: "Streamer",
  payin_system: "sandbox", reason: "Donation", created_at: "2026-11-01 12:00:00", shown_at: null,
};
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  if (req.method === "POST" && url.pathname === "/emit") {
    const n = Number(url.searchParams.get("n") || 1);
    for (let i = 1; i <= n; i++) io.emit("donation", { seq: i, data: payload });
    res.end("ok\n");
  } else if (url.pathname === "/healthz") {
    res.end(String(io.engine.clientsCount) + "\n");
  } else {
    res.statusCode = 404;
    res.end();
  }
});
const io = new Server(server, { transports: ["websocket"], serveClient: false });
server.listen(port, "127.0.0.1", () => {
  console.log(`listening ${server.address().port}`);
});
