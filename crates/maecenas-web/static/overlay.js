// Maecenas alert overlay (an OBS browser source). Speaks the Centrifugo v2 JSON protocol to
// /connection/websocket: connect with the page's token, subscribe to the creator's
// $alerts:donation_<id> channel with a token the page's secret URL hands out, then show each
// donation in turn (text only, never HTML), beep if asked, and report it shown.
(() => {
  'use strict';
  const root = document.getElementById('overlay');
  const base = root.dataset.base;
  const channel = root.dataset.channel;
  const sound = root.dataset.sound === '1';
  const duration = Number(root.dataset.duration) || 6000;
  let token = root.dataset.token;

  const queue = [];
  const seen = new Set();
  let showing = false;
  let lastSeq = 0;
  let epoch = '';
  let backoff = 1000;
  let socket = null;
  let nextId = 1;
  let pending = new Map();
  let pingTimer = null;
  // What was shown and when (milliseconds since the epoch), for anyone checking the overlay.
  window.overlayLog = [];

  const setState = (state) => { root.dataset.state = state; };

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body || {}),
      cache: 'no-store',
      credentials: 'omit',
    });
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return response.status === 204 ? null : response.json();
  }

  function call(ws, method, params) {
    const id = nextId++;
    const command = { id, params };
    if (method) command.method = method;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify(command));
    });
  }

  function connect() {
    setState('connecting');
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(scheme + location.host + '/connection/websocket');
    socket = ws;
    pending = new Map();
    ws.onopen = () => { start(ws).catch(() => ws.close()); };
    ws.onmessage = (event) => {
      for (const line of String(event.data).split('\n')) {
        if (line.trim()) receive(JSON.parse(line));
      }
    };
    ws.onclose = () => {
      clearInterval(pingTimer);
      for (const { reject } of pending.values()) reject(new Error('closed'));
      pending = new Map();
      if (socket !== ws) return;
      setState('disconnected');
      setTimeout(reconnect, backoff * (0.5 + Math.random() / 2));
      backoff = Math.min(backoff * 2, 20000);
    };
  }

  async function reconnect() {
    try {
      token = (await post('/connection-token')).token;
    } catch (err) {
      setTimeout(reconnect, backoff);
      backoff = Math.min(backoff * 2, 20000);
      return;
    }
    connect();
  }

  async function start(ws) {
    const connected = await call(ws, 0, { token });
    const { token: subToken } = await post('/subscription-token', { client: connected.client });
    const params = { channel, token: subToken };
    if (lastSeq > 0) Object.assign(params, { recover: true, seq: lastSeq, epoch });
    const subscribed = await call(ws, 1, params);
    if (subscribed.epoch) epoch = subscribed.epoch;
    const missed = (subscribed.publications || []).slice().sort((a, b) => (a.seq || 0) - (b.seq || 0));
    missed.forEach(publication);
    backoff = 1000;
    setState('subscribed');
    pingTimer = setInterval(() => {
      const timeout = setTimeout(() => ws.close(), 5000);
      call(ws, 7).then(() => clearTimeout(timeout), () => clearTimeout(timeout));
    }, 25000);
  }

  function receive(message) {
    if (message.id && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result || {});
      return;
    }
    const push = message.result;
    if (!message.id && push && push.channel === channel && !push.type && push.data) {
      publication(push.data);
    }
  }

  function publication(pub) {
    if (pub.seq) lastSeq = Math.max(lastSeq, pub.seq);
    const donation = pub.data;
    if (!donation || typeof donation.id !== 'number' || seen.has(donation.id)) return;
    seen.add(donation.id);
    queue.push(donation);
    showNext();
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    node.className = className;
    node.textContent = text;
    return node;
  }

  function showNext() {
    if (showing || queue.length === 0) return;
    showing = true;
    const donation = queue.shift();
    const card = element('div', 'alert', '');
    card.dataset.id = String(donation.id);
    const headline = element('div', 'headline', '');
    headline.append(
      element('span', 'name', donation.username || 'Anonymous'),
      document.createTextNode(' — '),
      element('span', 'amount', `${donation.amount} ${donation.currency}`),
    );
    card.append(headline, element('div', 'message', donation.message || ''));
    root.append(card);
    const entry = { id: donation.id, shownAt: Date.now(), hiddenAt: null };
    card.dataset.shownMs = String(entry.shownAt);
    window.overlayLog.push(entry);
    if (sound) beep();
    post(`/shown/${donation.id}`).catch(() => setTimeout(() => post(`/shown/${donation.id}`).catch(() => {}), 2000));
    setTimeout(() => {
      card.classList.add('leaving');
      setTimeout(() => {
        card.remove();
        entry.hiddenAt = Date.now();
        showing = false;
        setTimeout(showNext, 250);
      }, 400);
    }, duration);
  }

  let audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      const at = audio.currentTime;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = 'sine';
      osc.frequency.setValueAtTime(880, at);
      osc.frequency.setValueAtTime(1320, at + 0.12);
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.4);
      root.dataset.beeps = String(Number(root.dataset.beeps || 0) + 1);
    } catch (err) {
      // No audio device: the alert still shows.
    }
  }

  connect();
})();
