// app.js: the meeting page. All protocol work is in switchboard.js; this file
// is the UI around it: pre-join screen (preview, name, devices), the grid of
// tiles, and the controls. It uses the client library's LiveKit-style API
// (room.localParticipant, room.remoteParticipants, track.attach(), room.on()).
//
// When the signaling connection drops (the library resumes the session) or
// the server sends the room to another server mid-meeting (redirect), the
// library reconnects by itself: the page shows a banner meanwhile, keeps
// its tiles (each one gets the new tracks as they arrive), and renames its
// own tiles after the new participant id. A `bye` still ends the meeting.
//
// Hooks for tests and tools: <body data-state="prejoin|joining|meeting|ended">
// (data-reconnecting while the room moves),
// tiles carry data-participant-id, data-source="camera|screen" and
// data-track-id (the remote video track shown; data-self on our own), and
// window.switchboardRoom is the connected Room (its .pc the RTCPeerConnection).
// The side panel (chat, participants), the raised hand and the invite link
// are panels.js's.
// window.switchboardPublishScreen(track) shares any video track as a screen,
// as the Share screen button does with getDisplayMedia's.
// Every remote video is shown with track.attach(), which tells the server the
// tile's size and visibility, so the server sends the simulcast layer that fits.

import { connect, RemoteTrack } from './switchboard.js';
import { setupPanels } from './panels.js';

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
  toggleScreen: $('toggle-screen'),
  toggleLayout: $('toggle-layout'),
  leave: $('leave'),
  error: $('error'),
  errorText: $('error-text'),
  audioBlocked: $('audio-blocked'),
  reconnecting: $('reconnecting'),
  count: $('participant-count'),
  ended: $('ended'),
  endedTitle: $('ended-title'),
  endedReason: $('ended-reason'),
};

/** Everything that changes while the page lives. */
const app = {
  stream: new MediaStream(), // local camera + microphone
  screenTrack: null, // our screen share (a LocalTrack), while it runs
  screenStarting: false,
  room: null,
  tiles: new Map(), // tile key (participant id, or id + "-screen") → tile
  micMuted: false,
  speakerView: false, // the featured tile large, the others in a strip
  featuredId: '', // the remote participant the speaker view features: the last dominant speaker
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

// Plays our own (muted) video; the library plays the others' tracks and
// reports blocked sound (audioPlaybackChanged).
function playSafely(el) {
  el.play()?.catch(() => {});
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
  const source = kind === 'video' ? 'camera' : 'microphone';
  const publication = room && !room.closed ? room.localParticipant.getTrackPublication(source) : undefined;
  if (publication && old && publication.track.mediaStreamTrack === old) {
    try {
      await publication.track.replaceTrack(track); // keeps the mute state, no renegotiation
    } catch (err) {
      track.stop();
      showError(`Switching the device failed: ${err.message}`);
      return;
    }
  } else if (room && !room.closed) {
    track.enabled = !(kind === 'video' ? app.cameraOff : app.micMuted);
    room.localParticipant.publishTrack(track, { source, muted: !track.enabled })
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
    if (!screen) video.classList.add('mirrored');
    audio.remove(); // never play our own microphone back
  }
  if (screen) audio.remove();
  const tile = {
    key, participantId, node, video, audio: self || screen ? null : audio, self, screen,
    videoTrack: null, // a RemoteTrack, a LocalTrack (our screen) or a MediaStreamTrack (our camera)
    audioTrack: null, // a RemoteTrack
  };
  app.tiles.set(key, tile);
  ui.grid.append(node);
  if (!screen) {
    const p = self ? app.room?.localParticipant : app.room?.getParticipantBySid(participantId);
    if (p) renderQuality(key, p.connectionQuality);
  }
  layout();
  return tile;
}

function removeTile(key) {
  const tile = app.tiles.get(key);
  if (!tile) return;
  app.tiles.delete(key);
  showVideo(tile, null);
  tile.audioTrack?.detach(tile.audio);
  tile.node.remove();
  layout();
}

function ensureTile(participantId) {
  return app.tiles.get(participantId) || createTile(participantId, participantId);
}

/**
 * Shows a video track in a tile: a RemoteTrack or LocalTrack is attached
 * (a remote one then tells the server the tile's size and visibility, and
 * the server sends the layer that fits); our own camera, a MediaStreamTrack
 * from before joining, is shown as it is.
 */
function setTileVideo(tile, track) {
  showVideo(tile, track);
  renderTile(tile);
}

function showVideo(tile, track) {
  const old = tile.videoTrack;
  if (old && old !== track && typeof old.detach === 'function') old.detach(tile.video);
  tile.videoTrack = track;
  if (track instanceof RemoteTrack) tile.node.dataset.trackId = track.sid;
  else delete tile.node.dataset.trackId;
  if (!track) {
    tile.video.srcObject = null;
  } else if (typeof track.attach === 'function') {
    track.attach(tile.video);
  } else {
    tile.video.srcObject = new MediaStream([track]);
    playSafely(tile.video);
  }
}

/** Plays a RemoteTrack of audio in the tile (or nothing). */
function setTileAudio(tile, track) {
  if (!tile.audio) return;
  if (tile.audioTrack && tile.audioTrack !== track) tile.audioTrack.detach(tile.audio);
  tile.audioTrack = track;
  track?.attach(tile.audio);
  renderTile(tile);
}

/** Name, initial and indicators from what the room knows. */
function renderTile(tile) {
  const room = app.room;
  let name;
  let micOff;
  let camOff;
  if (tile.self && tile.screen) {
    name = 'Your screen';
    micOff = false;
    camOff = !tile.videoTrack;
  } else if (tile.self) {
    name = `${ui.name.value.trim()} (you)`;
    micOff = app.micMuted || !localTrack('audio');
    camOff = app.cameraOff || !localTrack('video');
  } else {
    const p = room?.getParticipantBySid(tile.participantId);
    const mic = p?.getTrackPublication('microphone');
    const cam = p?.getTrackPublication(tile.screen ? 'screen' : 'camera');
    name = (p?.name || 'Guest') + (tile.screen ? ' (screen)' : '');
    micOff = !tile.screen && (!mic || mic.isMuted);
    camOff = !cam || cam.isMuted || !tile.videoTrack;
  }
  tile.node.querySelector('.name').textContent = name;
  tile.node.querySelector('.avatar').textContent = (name.trim()[0] || '?').toUpperCase();
  tile.node.querySelector('.mic-off').classList.toggle('on', micOff);
  tile.node.querySelector('.cam-off').classList.toggle('on', camOff && !tile.screen);
  tile.node.dataset.video = camOff ? 'off' : 'on';
  tile.node.dataset.micMuted = String(micOff);
  tile.node.setAttribute('aria-label', `${name}${micOff ? ', microphone muted' : ''}${camOff ? ', camera off' : ''}`);
  // A camera turned off hides the video (visibility): nothing to receive.
  if (tile.videoTrack instanceof RemoteTrack) tile.videoTrack.updateVisibility();
}

function renderAll() {
  for (const tile of app.tiles.values()) renderTile(tile);
  const n = app.room ? app.room.remoteParticipants.size + 1 : 0;
  ui.count.textContent = n ? `${n} ${n === 1 ? 'participant' : 'participants'}` : '';
}

/**
 * Lays the tiles out. Without a screen share: the column count that makes
 * 16:9 tiles as large as the grid allows. With one: each screen share spans
 * the grid's width above a strip of camera tiles.
 */
function layout() {
  const tiles = [...ui.grid.children];
  const n = tiles.length;
  const style = getComputedStyle(ui.grid);
  const px = (v) => parseFloat(v) || 0;
  const width = ui.grid.clientWidth - px(style.paddingLeft) - px(style.paddingRight);
  const height = ui.grid.clientHeight - px(style.paddingTop) - px(style.paddingBottom);
  if (!n || width <= 0 || height <= 0) return;
  const gap = px(style.columnGap);
  const screens = tiles.filter((t) => t.dataset.source === 'screen').length;
  // Speaker view: the featured camera tile takes a screen share's place.
  // Its larger size reaches the server through attach()'s track settings,
  // which then forwards the higher simulcast layer.
  const featured = app.speakerView && !screens && n > 1 ? featuredTile() : null;
  for (const t of app.tiles.values()) t.node.toggleAttribute('data-featured', t === featured);
  if (screens || featured) {
    layoutPresenting(tiles, screens || 1, width, height, gap);
    return;
  }
  delete ui.grid.dataset.layout;
  let best = { cols: 1, w: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const w = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * (16 / 9));
    if (w > best.w) best = { cols, w };
  }
  ui.grid.style.setProperty('--cols', String(best.cols));
  ui.grid.style.setProperty('--tile-w', `${Math.floor(best.w)}px`);
  // Each tile spans two half columns, so a short last row can be centred.
  const rest = n % best.cols;
  tiles.forEach((tile, i) => {
    const start = rest && i === n - rest ? String(best.cols - rest + 1) : '';
    tile.style.setProperty('grid-column-start', start);
  });
}

// The presenting layout: camera tiles in a strip at the bottom (at most two
// rows, about a fifth of the height), the screen shares above it, full
// width, sharing the rest of the height.
// The tile the speaker view shows large: the last remote dominant speaker's,
// else the first remote camera tile.
function featuredTile() {
  const cams = [...app.tiles.values()].filter((t) => !t.screen && !t.self);
  return cams.find((t) => t.participantId === app.featuredId) || cams[0] || null;
}

function setSpeakerView(on) {
  app.speakerView = on;
  ui.toggleLayout.setAttribute('aria-pressed', String(on));
  ui.toggleLayout.querySelector('span').textContent = on ? 'Grid view' : 'Speaker view';
  layout();
}

// Shows a participant's connection quality on its camera tile.
function renderQuality(participantId, quality) {
  const tile = app.tiles.get(participantId);
  const el = tile?.node.querySelector('.quality');
  if (!el) return;
  el.dataset.quality = quality;
  el.setAttribute('aria-label', `connection quality ${quality}`);
}

function layoutPresenting(tiles, screens, width, height, gap) {
  const cams = tiles.length - screens;
  let camW = 0;
  let camRows = 0;
  if (cams) {
    const stripH = Math.min(200, Math.max(72, height * 0.2));
    camW = Math.min(stripH * (16 / 9), width);
    let perRow = Math.max(1, Math.floor((width + gap) / (camW + gap)));
    if (cams > 2 * perRow) {
      perRow = Math.ceil(cams / 2);
      camW = (width - gap * (perRow - 1)) / perRow;
    }
    camRows = Math.ceil(cams / perRow);
  }
  const camH = camW * (9 / 16);
  const screenH = Math.max(90, (height - camRows * (camH + gap) - gap * (screens - 1)) / screens);
  ui.grid.dataset.layout = 'presenting';
  ui.grid.style.setProperty('--tile-w', `${Math.floor(camW)}px`);
  ui.grid.style.setProperty('--screen-h', `${Math.floor(screenH)}px`);
  for (const tile of tiles) tile.style.setProperty('grid-column-start', '');
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
  ui.toggleMic.querySelector('span').textContent = app.micMuted ? 'Unmute' : 'Mute';
  ui.toggleCamera.querySelector('span').textContent = app.cameraOff ? 'Start camera' : 'Stop camera';
  const sharing = Boolean(app.screenTrack);
  ui.toggleScreen.hidden = !navigator.mediaDevices?.getDisplayMedia;
  ui.toggleScreen.disabled = app.screenStarting;
  ui.toggleScreen.setAttribute('aria-pressed', String(sharing));
  ui.toggleScreen.querySelector('span').textContent = sharing ? 'Stop sharing' : 'Share screen';
  const self = app.room && app.tiles.get(app.room.participantId);
  if (self) renderTile(self);
}

function setLocalMuted(kind, muted) {
  if (kind === 'audio') app.micMuted = muted;
  else app.cameraOff = muted;
  const track = localTrack(kind);
  const room = app.room;
  const publication = room && !room.closed && room.localParticipant.getTrackPublication(kind === 'audio' ? 'microphone' : 'camera');
  if (track && publication && publication.track.mediaStreamTrack === track) {
    const lp = room.localParticipant;
    const done = kind === 'audio' ? lp.setMicrophoneEnabled(!muted) : lp.setCameraEnabled(!muted);
    done.catch((err) => showError(`Could not ${muted ? 'mute' : 'unmute'}: ${err.message}`));
  } else if (track) {
    track.enabled = !muted;
  }
  updateControls();
}

// ---- screen share ----------------------------------------------------------

/** Asks for a screen, window or tab (getDisplayMedia) and shares it. */
async function startScreenShare() {
  const room = app.room;
  if (!room || room.closed || app.screenTrack || app.screenStarting) return;
  app.screenStarting = true;
  updateControls();
  try {
    await room.localParticipant.setScreenShareEnabled(true);
  } catch (err) {
    // Closing the browser's picker is a choice, not an error.
    if (!room.closed && err.name !== 'NotAllowedError' && err.name !== 'AbortError') {
      showError(`Cannot share the screen: ${err.message}`);
    }
  } finally {
    app.screenStarting = false;
    updateControls();
  }
}

/**
 * Shares any video track (a canvas, a window hook for tests) as the screen,
 * in place of a screen shared already. Its tile comes with
 * localTrackPublished; ending the track unpublishes it.
 */
async function publishScreen(track) {
  const room = app.room;
  if (!room || room.closed) {
    track.stop();
    return;
  }
  const lp = room.localParticipant;
  if (lp.getTrackPublication('screen')) await lp.setScreenShareEnabled(false);
  try {
    await lp.publishTrack(track, { source: 'screen' });
  } catch (err) {
    if (!room.closed) showError(`Could not share the screen: ${err.message}`);
    track.stop();
  }
}

/** Stops our screen share; its tile goes with localTrackUnpublished. */
function stopScreenShare() {
  const room = app.room;
  if (!room || room.closed) return;
  room.localParticipant.setScreenShareEnabled(false)
    .catch((err) => showError(`Stopping the screen share failed: ${err.message}`));
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

  let room;
  try {
    // ?token= carries the access token a server with API keys requires (the
    // page's room is joined all the same: a token for another is refused);
    // ?relay=1 sends all media through TURN, to check a TURN set-up.
    const rtcConfig = params.has('relay') ? { iceTransportPolicy: 'relay' } : {};
    const options = { room: roomName, name, rtcConfig };
    const token = params.get('token');
    room = await (token ? connect(location.origin, token, options) : connect(location.origin, options));
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
  setupPanels(room, { roomName, showError }); // chat, hand, people, invite (panels.js)

  $('device-slot').append(ui.devices); // the selectors move into the meeting's menu
  setState('meeting');
  const self = createTile(room.participantId, room.participantId, { self: true });
  setTileVideo(self, localTrack('video'));
  for (const p of room.remoteParticipants.values()) ensureTile(p.sid);
  renderAll();
  updateControls();
  layout();

  // The camera and microphone of the preview are published as they are.
  for (const track of app.stream.getTracks()) {
    const source = track.kind === 'video' ? 'camera' : 'microphone';
    const muted = track.kind === 'video' ? app.cameraOff : app.micMuted;
    room.localParticipant.publishTrack(track, { source, muted }).catch((err) => {
      if (!room.closed) showError(`Could not send your ${source}: ${err.message}`);
    });
  }
}

// The tile of a remote participant's source.
function remoteTile(participant, source, create) {
  const screen = source === 'screen';
  const key = screen ? `${participant.sid}-screen` : participant.sid;
  const tile = app.tiles.get(key);
  if (tile || !create) return tile;
  return screen ? createTile(key, participant.sid, { screen: true }) : ensureTile(participant.sid);
}

function wireRoom(room) {
  room.on('participantConnected', (participant) => {
    ensureTile(participant.sid);
    renderAll();
  });
  room.on('participantDisconnected', (participant) => {
    removeTile(participant.sid);
    removeTile(`${participant.sid}-screen`);
    renderAll();
  });
  room.on('trackPublished', renderAll);
  room.on('trackMuted', renderAll);
  room.on('trackUnmuted', renderAll);
  room.on('trackSubscribed', (track, publication, participant) => {
    const tile = remoteTile(participant, publication.source, true);
    if (track.kind === 'video') setTileVideo(tile, track);
    else if (publication.source !== 'screen') setTileAudio(tile, track);
  });
  room.on('trackUnsubscribed', (track, publication, participant) => {
    const tile = remoteTile(participant, publication.source, false);
    if (!tile) return;
    if (tile.videoTrack === track) setTileVideo(tile, null);
    if (tile.audioTrack === track) setTileAudio(tile, null);
    if (tile.screen && !tile.videoTrack) removeTile(tile.key);
  });
  // Our screen share gets a tile of its own while it is published.
  room.on('localTrackPublished', (publication) => {
    if (publication.source !== 'screen') return;
    app.screenTrack = publication.track;
    const key = `${room.participantId}-screen`;
    const tile = app.tiles.get(key) || createTile(key, room.participantId, { self: true, screen: true });
    setTileVideo(tile, publication.track);
    updateControls();
  });
  room.on('localTrackUnpublished', (publication) => {
    if (publication.source !== 'screen') return;
    if (app.screenTrack === publication.track) app.screenTrack = null;
    if (!room.localParticipant.getTrackPublication('screen')) removeTile(`${room.participantId}-screen`);
    updateControls();
  });
  // Who is speaking: a ring around each speaker's camera tile, a stronger
  // one around the first (the dominant speaker, holding the floor).
  room.on('connectionQualityChanged', (quality, participant) => {
    renderQuality(participant.isLocal ? room.participantId : participant.sid, quality);
  });
  room.on('activeSpeakersChanged', (speakers) => {
    const first = speakers[0]?.sid;
    if (speakers[0] && !speakers[0].isLocal && first !== app.featuredId) {
      app.featuredId = first;
      if (app.speakerView) layout();
    }
    for (const tile of app.tiles.values()) {
      if (tile.screen) continue;
      const p = tile.self ? room.localParticipant : room.getParticipantBySid(tile.participantId);
      tile.node.classList.toggle('speaking', Boolean(p?.isSpeaking));
      tile.node.classList.toggle('dominant', Boolean(p?.isSpeaking) && tile.participantId === first);
      tile.node.style.setProperty('--level', String(p?.audioLevel || 0));
    }
  });
  room.on('audioPlaybackChanged', (canPlay) => {
    ui.audioBlocked.hidden = canPlay;
  });
  room.on('error', ({ code, message, fatal }) => {
    showError(`${fatal ? 'Disconnected by the server' : 'The server refused a request'}: ${message} (${code})`);
  });
  room.on('reconnecting', () => {
    document.body.dataset.reconnecting = '';
    ui.reconnecting.hidden = false;
  });
  room.on('reconnected', (participantId, previousParticipantId) => {
    renameSelf(previousParticipantId, participantId);
    delete document.body.dataset.reconnecting;
    ui.reconnecting.hidden = true;
    renderAll();
    updateControls();
  });
  room.on('disconnected', (reason) => endMeeting(reason));
}

// Our own tiles are keyed by our participant id, which a move to another
// server changes.
function renameSelf(from, to) {
  if (!from || from === to) return;
  for (const suffix of ['', '-screen']) {
    const tile = app.tiles.get(from + suffix);
    if (!tile || !tile.self) continue;
    app.tiles.delete(tile.key);
    tile.key = to + suffix;
    tile.participantId = to;
    tile.node.dataset.participantId = to;
    app.tiles.set(tile.key, tile);
  }
}

function endMeeting(reason) {
  for (const key of [...app.tiles.keys()]) removeTile(key);
  app.screenTrack?.stop();
  app.screenTrack = null;
  for (const t of app.stream.getTracks()) t.stop();
  ui.preview.srcObject = null;
  ui.count.textContent = '';
  ui.audioBlocked.hidden = true;
  ui.reconnecting.hidden = true;
  delete document.body.dataset.reconnecting;
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
  ui.toggleScreen.addEventListener('click', () => (app.screenTrack ? stopScreenShare() : startScreenShare()));
  ui.toggleLayout.addEventListener('click', () => setSpeakerView(!app.speakerView));
  ui.leave.addEventListener('click', () => app.room?.leave());
  $('rejoin').addEventListener('click', () => location.reload());
  $('error-close').addEventListener('click', hideError);
  $('enable-audio').addEventListener('click', () => {
    ui.audioBlocked.hidden = true;
    app.room?.startAudio().catch(() => { ui.audioBlocked.hidden = false; });
  });
  window.switchboardPublishScreen = publishScreen;
  // Tell the server at once when the page goes away.
  window.addEventListener('pagehide', () => app.room?.leave());
  new ResizeObserver(layout).observe(ui.grid);

  refreshDevices();
  app.mediaReady = startMedia().catch((err) => showError(`Camera and microphone failed: ${describeMediaError(err)}`));
}

init();
