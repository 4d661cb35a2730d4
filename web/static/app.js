// app.js: the meeting page. All protocol work is in switchboard.js; this file
// is the UI around it: pre-join screen (preview, name, devices), the grid of
// tiles, and the controls.
//
// Hooks for tests and tools: <body data-state="prejoin|joining|meeting|ended">,
// tiles carry data-participant-id (and data-self on our own), and
// window.switchboardRoom is the connected Room (its .pc the RTCPeerConnection).

import { connect } from './switchboard.js';

const $ = (id) => document.getElementById(id);
const STORE = { name: 'switchboard.name', camera: 'switchboard.camera', microphone: 'switchboard.microphone' };

const roomName = decodeURIComponent(location.pathname.replace(/\/+$/, '').split('/').pop() || '');
const params = new URLSearchParams(location.search);

const ui = {
  preview: $('preview'),
  previewStatus: $('preview-status'),
  joinForm: $('join-form'),
  name: $('name'),
  nameError: $('name-error'),
  camera: $('camera'),
  microphone: $('microphone'),
  devices: $('devices'),
  join: $('join'),
  grid: $('grid'),
  toggleMic: $('toggle-mic'),
  toggleCamera: $('toggle-camera'),
  leave: $('leave'),
  error: $('error'),
  errorText: $('error-text'),
  audioBlocked: $('audio-blocked'),
  count: $('participant-count'),
  ended: $('ended'),
  endedTitle: $('ended-title'),
  endedReason: $('ended-reason'),
};

/** Everything that changes while the page lives. */
const app = {
  stream: new MediaStream(), // local camera + microphone
  room: null,
  tiles: new Map(), // tile key (participant id, or id + "-screen") → tile
  micMuted: false,
  cameraOff: false,
  previewSeq: 0, // discards a slow getUserMedia overtaken by a newer one
  mediaReady: Promise.resolve(), // the first camera/microphone request
};

// ---- small helpers ---------------------------------------------------------

function store(key, value) {
  try {
    if (value) localStorage.setItem(key, value);
  } catch {
    // private mode or storage disabled: remembering is optional
  }
}

function recall(key) {
  try {
    return localStorage.getItem(key) || '';
  } catch {
    return '';
  }
}

function setState(state) {
  document.body.dataset.state = state;
  $('prejoin').hidden = state !== 'prejoin' && state !== 'joining';
  $('meeting').hidden = state !== 'meeting';
  ui.ended.hidden = state !== 'ended';
}

function showError(text) {
  ui.errorText.textContent = text;
  ui.error.hidden = false;
}

function hideError() {
  ui.error.hidden = true;
  ui.errorText.textContent = '';
}

function describeMediaError(err) {
  switch (err?.name) {
    case 'NotAllowedError':
      return 'permission to use the camera and microphone was refused';
    case 'NotFoundError':
      return 'no camera or microphone was found';
    case 'NotReadableError':
      return 'the device is in use by another application';
    case 'OverconstrainedError':
      return 'the chosen device is not available';
    case 'SecurityError':
    case 'TypeError':
      return 'the browser allows cameras only on https:// or localhost';
    default:
      return err?.message || String(err);
  }
}

function playSafely(el) {
  const p = el.play();
  if (!p) return;
  p.catch((err) => {
    if (err.name === 'NotAllowedError' && el.tagName === 'AUDIO') ui.audioBlocked.hidden = false;
  });
}

// ---- devices and preview ---------------------------------------------------

function localTrack(kind) {
  return app.stream.getTracks().find((t) => t.kind === kind) || null;
}

async function openDevice(kind, deviceId) {
  const base = kind === 'video'
    ? { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } }
    : { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  const constraints = deviceId ? { ...base, deviceId: { exact: deviceId } } : base;
  try {
    const s = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
    return s.getTracks()[0];
  } catch (err) {
    // A remembered device that is gone: fall back to the default one.
    if (deviceId && (err.name === 'OverconstrainedError' || err.name === 'NotFoundError')) return openDevice(kind, '');
    throw err;
  }
}

/** Opens camera and microphone (as chosen in the selectors) for the preview. */
async function startMedia() {
  const seq = ++app.previewSeq;
  ui.previewStatus.textContent = 'Starting camera…';
  ui.previewStatus.hidden = false;
  if (!navigator.mediaDevices?.getUserMedia) {
    ui.previewStatus.textContent = `No camera: ${describeMediaError({ name: 'SecurityError' })}.`;
    return;
  }
  let stream = null;
  let failure = null;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      video: deviceConstraints('video', ui.camera.value || recall(STORE.camera)),
      audio: deviceConstraints('audio', ui.microphone.value || recall(STORE.microphone)),
    });
  } catch (err) {
    failure = err;
  }
  const tracks = stream ? stream.getTracks() : [];
  if (!stream) {
    // One of the two may still work alone.
    for (const kind of ['video', 'audio']) {
      try {
        tracks.push(await openDevice(kind, ''));
      } catch (err) {
        failure = err;
      }
    }
  }
  if (seq !== app.previewSeq) {
    tracks.forEach((t) => t.stop());
    return;
  }
  for (const t of app.stream.getTracks()) {
    app.stream.removeTrack(t);
    t.stop();
  }
  tracks.forEach((t) => app.stream.addTrack(t));
  ui.preview.srcObject = app.stream;
  const video = localTrack('video');
  if (video) {
    ui.previewStatus.hidden = true;
  } else {
    ui.previewStatus.textContent = `Camera unavailable: ${describeMediaError(failure)}. You can still join.`;
  }
  if (!tracks.length && failure) showError(`No camera or microphone: ${describeMediaError(failure)}.`);
  // Labels and the real device list are visible only after permission.
  await refreshDevices();
}

function deviceConstraints(kind, deviceId) {
  const base = kind === 'video'
    ? { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } }
    : { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  return deviceId ? { ...base, deviceId: { ideal: deviceId } } : base;
}

async function refreshDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  let devices = [];
  try {
    devices = await navigator.mediaDevices.enumerateDevices();
  } catch {
    return;
  }
  fillSelect(ui.camera, devices.filter((d) => d.kind === 'videoinput'), 'Camera', localTrack('video'));
  fillSelect(ui.microphone, devices.filter((d) => d.kind === 'audioinput'), 'Microphone', localTrack('audio'));
}

function fillSelect(select, devices, label, track) {
  const current = track?.getSettings().deviceId || select.value;
  select.replaceChildren();
  devices.forEach((d, i) => {
    const option = new Option(d.label || `${label} ${i + 1}`, d.deviceId);
    select.append(option);
  });
  if (!devices.length) select.append(new Option(`No ${label.toLowerCase()}`, ''));
  if (current && devices.some((d) => d.deviceId === current)) select.value = current;
  select.disabled = !devices.length;
}

/** A selector changed: switch the device, in the preview and in the meeting. */
async function switchDevice(kind, deviceId) {
  store(kind === 'video' ? STORE.camera : STORE.microphone, deviceId);
  const old = localTrack(kind);
  let track;
  try {
    track = await openDevice(kind, deviceId);
  } catch (err) {
    showError(`Cannot use that ${kind === 'video' ? 'camera' : 'microphone'}: ${describeMediaError(err)}.`);
    return;
  }
  const room = app.room;
  if (room && !room.closed && old && room.publishedTracks.some((p) => p.track === old)) {
    try {
      await room.replaceTrack(old, track); // keeps the mute state, no renegotiation
    } catch (err) {
      track.stop();
      showError(`Switching the device failed: ${err.message}`);
      return;
    }
  } else if (room && !room.closed) {
    track.enabled = !(kind === 'video' ? app.cameraOff : app.micMuted);
    room.publish(track, { source: kind === 'video' ? 'camera' : 'microphone', muted: !track.enabled })
      .catch((err) => showError(`Publishing failed: ${err.message}`));
  }
  if (old) {
    app.stream.removeTrack(old);
    old.stop();
  }
  app.stream.addTrack(track);
  ui.preview.srcObject = app.stream;
  if (kind === 'video') ui.previewStatus.hidden = true;
  const self = app.room && app.tiles.get(app.room.participantId);
  if (self) setTileVideo(self, localTrack('video'));
  updateControls();
}

// ---- tiles -----------------------------------------------------------------

function createTile(key, participantId, { self = false, screen = false } = {}) {
  const node = $('tile-template').content.firstElementChild.cloneNode(true);
  node.dataset.participantId = participantId;
  node.dataset.source = screen ? 'screen' : 'camera';
  if (self) node.dataset.self = '';
  const video = node.querySelector('video');
  const audio = node.querySelector('audio');
  if (self) {
    video.classList.add('mirrored');
    audio.remove(); // never play our own microphone back
  }
  const tile = { key, participantId, node, video, audio: self ? null : audio, self, screen, videoTrack: null, audioTrack: null };
  app.tiles.set(key, tile);
  ui.grid.append(node);
  layout();
  return tile;
}

function removeTile(key) {
  const tile = app.tiles.get(key);
  if (!tile) return;
  app.tiles.delete(key);
  tile.video.srcObject = null;
  if (tile.audio) tile.audio.srcObject = null;
  tile.node.remove();
  layout();
}

function ensureTile(participantId) {
  return app.tiles.get(participantId) || createTile(participantId, participantId);
}

function setTileVideo(tile, track) {
  tile.videoTrack = track;
  tile.video.srcObject = track ? new MediaStream([track]) : null;
  if (track) playSafely(tile.video);
  renderTile(tile);
}

function setTileAudio(tile, track) {
  if (!tile.audio) return;
  tile.audioTrack = track;
  tile.audio.srcObject = track ? new MediaStream([track]) : null;
  if (track) playSafely(tile.audio);
  renderTile(tile);
}

/** Name, initial and indicators from what the room knows. */
function renderTile(tile) {
  const room = app.room;
  let name;
  let micOff;
  let camOff;
  if (tile.self) {
    name = `${ui.name.value.trim()} (you)`;
    micOff = app.micMuted || !localTrack('audio');
    camOff = app.cameraOff || !localTrack('video');
  } else {
    const p = room?.participants.get(tile.participantId);
    const tracks = p ? [...p.tracks.values()] : [];
    const source = tile.screen ? 'screen' : 'camera';
    const mic = tracks.find((t) => t.source === 'microphone');
    const cam = tracks.find((t) => t.source === source);
    name = (p?.name || 'Guest') + (tile.screen ? ' (screen)' : '');
    micOff = !tile.screen && (!mic || mic.muted);
    camOff = !cam || cam.muted || !tile.videoTrack;
  }
  tile.node.querySelector('.name').textContent = name;
  tile.node.querySelector('.avatar').textContent = (name.trim()[0] || '?').toUpperCase();
  tile.node.querySelector('.mic-off').classList.toggle('on', micOff);
  tile.node.querySelector('.cam-off').classList.toggle('on', camOff && !tile.screen);
  tile.node.dataset.video = camOff ? 'off' : 'on';
  tile.node.dataset.micMuted = String(micOff);
  tile.node.setAttribute('aria-label', `${name}${micOff ? ', microphone muted' : ''}${camOff ? ', camera off' : ''}`);
}

function renderAll() {
  for (const tile of app.tiles.values()) renderTile(tile);
  const n = app.room ? app.room.participants.size + 1 : 0;
  ui.count.textContent = n ? `${n} ${n === 1 ? 'participant' : 'participants'}` : '';
}

/** Picks the column count that makes 16:9 tiles as large as the grid allows. */
function layout() {
  const n = ui.grid.children.length;
  const style = getComputedStyle(ui.grid);
  const px = (v) => parseFloat(v) || 0;
  const width = ui.grid.clientWidth - px(style.paddingLeft) - px(style.paddingRight);
  const height = ui.grid.clientHeight - px(style.paddingTop) - px(style.paddingBottom);
  if (!n || width <= 0 || height <= 0) return;
  const gap = px(style.columnGap);
  let best = { cols: 1, w: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const w = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * (16 / 9));
    if (w > best.w) best = { cols, w };
  }
  ui.grid.style.setProperty('--cols', String(best.cols));
  ui.grid.style.setProperty('--tile-w', `${Math.floor(best.w)}px`);
  // Each tile spans two half columns, so a short last row can be centred.
  const tiles = [...ui.grid.children];
  const rest = n % best.cols;
  tiles.forEach((tile, i) => {
    const start = rest && i === n - rest ? String(best.cols - rest + 1) : '';
    tile.style.setProperty('grid-column-start', start);
  });
}

// ---- controls --------------------------------------------------------------

function updateControls() {
  const mic = localTrack('audio');
  const cam = localTrack('video');
  ui.toggleMic.disabled = !mic;
  ui.toggleCamera.disabled = !cam;
  ui.toggleMic.setAttribute('aria-pressed', String(app.micMuted));
  ui.toggleCamera.setAttribute('aria-pressed', String(app.cameraOff));
  ui.toggleMic.querySelector('use').setAttribute('href', app.micMuted ? '#i-mic-off' : '#i-mic');
  ui.toggleCamera.querySelector('use').setAttribute('href', app.cameraOff ? '#i-cam-off' : '#i-cam');
  const self = app.room && app.tiles.get(app.room.participantId);
  if (self) renderTile(self);
}

function setLocalMuted(kind, muted) {
  if (kind === 'audio') app.micMuted = muted;
  else app.cameraOff = muted;
  const track = localTrack(kind);
  if (track) {
    if (app.room && !app.room.closed && app.room.publishedTracks.some((p) => p.track === track)) {
      app.room.setMuted(track, muted);
    } else {
      track.enabled = !muted;
    }
  }
  updateControls();
}

// ---- joining and leaving ---------------------------------------------------

async function join(ev) {
  ev.preventDefault();
  hideError();
  const name = ui.name.value.trim();
  if (!name || name.length > 64 || /[\p{Cc}]/u.test(name)) {
    ui.nameError.textContent = 'Enter a name of 1 to 64 characters.';
    ui.nameError.hidden = false;
    ui.name.setAttribute('aria-invalid', 'true');
    ui.name.focus();
    return;
  }
  ui.nameError.hidden = true;
  ui.name.removeAttribute('aria-invalid');
  store(STORE.name, name);
  ui.join.disabled = true;
  ui.join.textContent = 'Joining…';
  setState('joining');
  await app.mediaReady; // a click during the permission prompt waits for it

  const wsURL = new URL('/ws', location.href);
  wsURL.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  let room;
  try {
    // ?token= carries the access token a server with API keys requires;
    // ?relay=1 sends all media through TURN, to check a TURN set-up.
    const rtcConfig = params.has('relay') ? { iceTransportPolicy: 'relay' } : {};
    room = await connect(wsURL, { room: roomName, name, token: params.get('token') || undefined, rtcConfig });
  } catch (err) {
    showError(`Could not join: ${err.message}${err.code && err.code !== err.message ? ` (${err.code})` : ''}`);
    ui.join.disabled = false;
    ui.join.textContent = 'Join';
    setState('prejoin');
    return;
  }
  app.room = room;
  window.switchboardRoom = room;
  wireRoom(room);

  $('device-slot').append(ui.devices); // the selectors move into the meeting's menu
  setState('meeting');
  const self = createTile(room.participantId, room.participantId, { self: true });
  setTileVideo(self, localTrack('video'));
  for (const p of room.participants.values()) ensureTile(p.id);
  renderAll();
  updateControls();
  layout();

  for (const track of app.stream.getTracks()) {
    const source = track.kind === 'video' ? 'camera' : 'microphone';
    const muted = track.kind === 'video' ? app.cameraOff : app.micMuted;
    room.publish(track, { source, muted }).catch((err) => {
      if (!room.closed) showError(`Could not send your ${source}: ${err.message}`);
    });
  }
}

function wireRoom(room) {
  room.addEventListener('participant-joined', (e) => {
    ensureTile(e.detail.participant.id);
    renderAll();
  });
  room.addEventListener('participant-left', (e) => {
    removeTile(e.detail.participantId);
    removeTile(`${e.detail.participantId}-screen`);
    renderAll();
  });
  room.addEventListener('track-published', renderAll);
  room.addEventListener('mute', renderAll);
  room.addEventListener('track', (e) => {
    const { participantId, info, track } = e.detail;
    if (info.source === 'screen') {
      const key = `${participantId}-screen`;
      const tile = app.tiles.get(key) || createTile(key, participantId, { screen: true });
      if (track.kind === 'video') setTileVideo(tile, track);
      return;
    }
    const tile = ensureTile(participantId);
    if (track.kind === 'video') setTileVideo(tile, track);
    else setTileAudio(tile, track);
  });
  room.addEventListener('track-removed', (e) => {
    const { participantId, info, track } = e.detail;
    const key = info?.source === 'screen' ? `${participantId}-screen` : participantId;
    const tile = app.tiles.get(key);
    if (!tile) return;
    if (tile.videoTrack === track) setTileVideo(tile, null);
    if (tile.audioTrack === track) setTileAudio(tile, null);
    if (tile.screen && !tile.videoTrack) removeTile(key);
  });
  room.addEventListener('error', (e) => {
    const { code, message, fatal } = e.detail;
    showError(`${fatal ? 'Disconnected by the server' : 'The server refused a request'}: ${message} (${code})`);
  });
  room.addEventListener('disconnected', (e) => endMeeting(e.detail.reason));
}

function endMeeting(reason) {
  for (const key of [...app.tiles.keys()]) removeTile(key);
  for (const t of app.stream.getTracks()) t.stop();
  ui.preview.srcObject = null;
  ui.count.textContent = '';
  ui.audioBlocked.hidden = true;
  if (reason === 'left') {
    ui.endedTitle.textContent = 'You left the meeting';
    ui.endedReason.textContent = '';
  } else {
    ui.endedTitle.textContent = 'The meeting ended';
    ui.endedReason.textContent = `Disconnected: ${reason}.`;
  }
  setState('ended');
}

// ---- start -----------------------------------------------------------------

function init() {
  document.title = `${roomName} · Switchboard`;
  $('room-title').textContent = roomName;
  document.querySelector('.room-name').textContent = roomName;
  ui.name.value = params.get('name') || recall(STORE.name);
  setState('prejoin');

  ui.joinForm.addEventListener('submit', join);
  ui.camera.addEventListener('change', () => switchDevice('video', ui.camera.value));
  ui.microphone.addEventListener('change', () => switchDevice('audio', ui.microphone.value));
  navigator.mediaDevices?.addEventListener?.('devicechange', refreshDevices);
  ui.toggleMic.addEventListener('click', () => setLocalMuted('audio', !app.micMuted));
  ui.toggleCamera.addEventListener('click', () => setLocalMuted('video', !app.cameraOff));
  ui.leave.addEventListener('click', () => app.room?.leave());
  $('rejoin').addEventListener('click', () => location.reload());
  $('error-close').addEventListener('click', hideError);
  $('enable-audio').addEventListener('click', () => {
    ui.audioBlocked.hidden = true;
    for (const tile of app.tiles.values()) if (tile.audio?.srcObject) playSafely(tile.audio);
  });
  // Tell the server at once when the page goes away.
  window.addEventListener('pagehide', () => app.room?.leave());
  new ResizeObserver(layout).observe(ui.grid);

  refreshDevices();
  app.mediaReady = startMedia().catch((err) => showError(`Camera and microphone failed: ${describeMediaError(err)}`));
}

init();
