// switchboard.js: the Switchboard signaling and media client, an ES module
// with no dependencies and no UI. It speaks protocol version 2 (see the
// README) over one WebSocket and carries all media over one RTCPeerConnection.
// Its types are in switchboard.d.ts, served beside it.
//
// In a cluster a server may send the client elsewhere (`redirect`): before
// `joined` the join simply goes on at that server (connect() resolves once
// joined somewhere); during a session the room moves there, emitting
// `reconnecting`, then `reconnected` once the local tracks are published
// again on a new RTCPeerConnection.
//
// A signaling connection that drops without a word (a network blip, a proxy's
// idle timeout) does not end the meeting: the client emits `reconnecting`,
// reconnects with backoff and resumes the session with the token of the last
// `joined` (same participant, same RTCPeerConnection: nobody sees it leave),
// then emits `reconnected`. If the server refuses the resume (its window
// passed), the room joins again as after a redirect; if no server answers
// within reconnectTimeout, `disconnected`. An ICE connection that fails, or
// stays disconnected for 2 s (a new network), is restarted (ICE restart).
// leave() is sent on pagehide, so a closed tab leaves at once.
//
// The API that LiveKit, Twilio and Daily users know:
//
//   import { connect } from '/static/switchboard.js';
//   const room = await connect('https://meet.example.com', token); // the token names room and name
//   room.on('trackSubscribed', (track, publication, participant) => grid.append(track.attach()));
//   room.on('trackUnsubscribed', (track) => track.detach().forEach((el) => el.remove()));
//   await room.localParticipant.enableCameraAndMicrophone();
//
// track.attach() returns a <video> or <audio> element playing the track and,
// for video, tells the server the element's size and visibility, so that it
// sends the simulcast layer that fits (adaptive stream).
//
// Events of room.on(name, fn), with these arguments (also dispatched as
// CustomEvents whose detail has them by name, except `disconnected`):
//   participantConnected(participant)      participantDisconnected(participant)
//   trackPublished(publication, participant)   trackUnpublished(publication, participant)
//   trackSubscribed(track, publication, participant)
//   trackUnsubscribed(track, publication, participant)
//   trackMuted(publication, participant)   trackUnmuted(publication, participant)
//   localTrackPublished(publication, participant)
//   localTrackUnpublished(publication, participant)
//   audioPlaybackChanged(canPlaybackAudio)  connectionStateChanged(state)
//   reconnecting(reason, url)              reconnected(participantId, previousParticipantId)
//   disconnected(reason)
//
// The lower-level API is still there: connect(url, {room, name, token}),
// room.publish(track), room.observeTrack(trackId, element), and these events
// (CustomEvent, the payload in event.detail; room.on(name, fn) calls fn(detail)):
//   participant-joined {participant}
//   participant-left   {participantId, participant}
//   track-published    {participantId, trackId, info}        announced, not yet received
//   track              {participantId, trackId, info, track, stream}
//   track-removed      {participantId, trackId, info, track}
//   mute               {participantId, trackId, info, muted}
//   error              {code, message, fatal}                 the server refused something
//   connection-state   {state}                                RTCPeerConnection.connectionState
//   layers             {mid, track, active}                   dynacast: the simulcast layers (rids) now sent
//   disconnected       {reason, code?, message?}               the session is over

/** The protocol version this client speaks. */
export const PROTOCOL_VERSION = 2;

// How many redirects one join follows before it gives up.
const MAX_REDIRECTS = 3;

/** The connection quality levels the server sends, best first. */
export const CONNECTION_QUALITIES = Object.freeze(['excellent', 'good', 'poor', 'lost']);

/**
 * Puts redundant audio (RFC 2198, `audio/red`) first among an audio
 * transceiver's codecs where the browser has it: a browser sends the first
 * codec of the answer, and the server accepts RED, forwarding it to those
 * who negotiated it and plain Opus to the others. Each packet then carries
 * the previous frame as well, so a lost packet is not heard.
 * @param {RTCRtpTransceiver} transceiver
 */
function preferRED(transceiver) {
  const caps = globalThis.RTCRtpSender?.getCapabilities?.('audio');
  if (!caps || typeof transceiver.setCodecPreferences !== 'function') return;
  const red = caps.codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/red');
  if (red.length === 0) return;
  const rest = caps.codecs.filter((c) => c.mimeType.toLowerCase() !== 'audio/red');
  try {
    transceiver.setCodecPreferences([...red, ...rest]);
  } catch {
    // A browser that refuses the list sends Opus, as before.
  }
}

// Reconnecting after a dropped signaling connection: the delays before each
// try (the last repeats), how long one try may take, and how long an ICE
// connection may stay disconnected before it is restarted.
const RESUME_BACKOFF = Object.freeze([0, 250, 500, 1000, 2000, 4000]);
const RESUME_TRY_TIMEOUT = 5000;
const ICE_RESTART_AFTER_DISCONNECTED = 2000;

const SOURCES = new Set(['camera', 'microphone', 'screen']);

/**
 * The simulcast layers a camera is published with by default: rids q, h and
 * f (a quarter, half and the full resolution of the capture), each with a
 * bitrate cap. The server forwards to each subscriber the one that fits its
 * link and the size of its tile. q's cap is under Chromium's own 150-200
 * kbit/s for 320x180, so that on a 300 kbit/s link two videos at half their
 * frame rate fit beside two microphones (12.8-16.2 fps measured, against
 * 7.7-8.5 at 150 kbit/s: docs/benchmarks.md, "Narrow links").
 */
export const SIMULCAST_ENCODINGS = Object.freeze([
  Object.freeze({ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 100_000 }),
  Object.freeze({ rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500_000 }),
  Object.freeze({ rid: 'f', maxBitrate: 1_500_000 }),
]);

// How long track-settings wait for the tile to settle before they are sent.
const SETTINGS_DEBOUNCE_MS = 250;
// The largest tile side the server accepts, in device pixels.
const MAX_TILE_SIDE = 8192;

// Header extensions that carry the simulcast rids (RFC 8852). Browsers send
// rids only when these are negotiated.
const RID_EXTENSIONS = [
  'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id',
  'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id',
];

// The RTP header extensions the Switchboard SFU negotiates (plus sdes:mid,
// which browsers may refuse to drop). Offering only these keeps extension ids
// that the server never accepts out of the session: Chromium remembers the
// ids of an offer even after rolling it back, and refuses a later server
// offer that gives such an id to another extension. Once the server has sent
// a description, the extensions it used are taken instead.
const SFU_HEADER_EXTENSIONS = [
  'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'urn:3gpp:video-orientation',
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'urn:ietf:params:rtp-hdrext:sdes:mid',
  ...RID_EXTENSIONS,
];

/** An error the server sent, or a failure to connect. */
export class SwitchboardError extends Error {
  constructor(code, message, fatal = false) {
    super(message || code);
    this.name = 'SwitchboardError';
    this.code = code;
    this.fatal = fatal;
  }
}

/**
 * The names of the events of `room.on()` that follow LiveKit's (RoomEvent),
 * for code that prefers constants to strings.
 */
export const RoomEvent = Object.freeze({
  ParticipantConnected: 'participantConnected',
  ParticipantDisconnected: 'participantDisconnected',
  TrackPublished: 'trackPublished',
  TrackUnpublished: 'trackUnpublished',
  TrackSubscribed: 'trackSubscribed',
  TrackUnsubscribed: 'trackUnsubscribed',
  TrackMuted: 'trackMuted',
  TrackUnmuted: 'trackUnmuted',
  LocalTrackPublished: 'localTrackPublished',
  LocalTrackUnpublished: 'localTrackUnpublished',
  AudioPlaybackStatusChanged: 'audioPlaybackChanged',
  ActiveSpeakersChanged: 'activeSpeakersChanged',
  ConnectionQualityChanged: 'connectionQualityChanged',
  DataReceived: 'dataReceived',
  ParticipantAttributesChanged: 'participantAttributesChanged',
  ConnectionStateChanged: 'connectionStateChanged',
  Reconnecting: 'reconnecting',
  Reconnected: 'reconnected',
  Disconnected: 'disconnected',
});

/**
 * Track kinds and sources. The sources are the protocol's: a screen share is
 * `'screen'` (LiveKit says `'screen_share'`).
 */
export const Track = Object.freeze({
  Kind: Object.freeze({ Audio: 'audio', Video: 'video' }),
  Source: Object.freeze({ Camera: 'camera', Microphone: 'microphone', ScreenShare: 'screen' }),
});

/**
 * Connects to a Switchboard server and joins a room.
 *
 * Either `connect(url, token, options?)`: `token` is an access token (a JWT,
 * see `switchboard token`) whose claims name the room (`room`), the identity
 * (`sub`) and the display name (`name`, else the identity). They are read
 * here without checking the signature: the server checks it. Or the older
 * `connect(url, {room, name, token, ...})`, where a token fills in a room or
 * name left out.
 *
 * `url` is the server's base URL (`https://meet.example.com`,
 * `http://127.0.0.1:8080`; its signaling endpoint `/ws` is added), or the
 * WebSocket URL itself (`wss://meet.example.com/ws`). A relative URL is
 * resolved against the page.
 * @param {string|URL} url
 * @param {string|ConnectOptions} tokenOrOptions
 * @param {ConnectOptions} [options] with a token: the other options
 * @returns {Promise<Room>} resolves once the server has answered `joined`;
 *   rejects with a SwitchboardError `{code, message, fatal}`.
 *
 * @typedef {object} ConnectOptions
 * @property {string} [room] the room to join (default: the token's `room` claim)
 * @property {string} [name] the display name (default: the token's `name`, else its `sub`)
 * @property {string} [token] the access token a server with API keys requires
 * @property {number} [timeout] milliseconds to wait for `joined` (15000)
 * @property {number} [reconnectTimeout] milliseconds to keep trying to reconnect
 *   after the signaling connection dropped, before `disconnected` (30000, the
 *   server's default resume window)
 * @property {RTCConfiguration} [rtcConfig] merged into the RTCPeerConnection's configuration
 * @property {boolean} [dtx] send Opus with discontinuous transmission, a few
 *   packets a second instead of 50 while there is silence (true)
 * @property {(level: string, ...args: any[]) => void} [log] where the client's log goes (console)
 */
export async function connect(url, tokenOrOptions = {}, options = {}) {
  const opts = typeof tokenOrOptions === 'string' ? { ...options, token: tokenOrOptions } : { ...tokenOrOptions };
  const room = new Room(url, opts);
  await room._start();
  return room;
}

/**
 * The claims of an access token (JWT), decoded without checking its
 * signature: what the client needs to know (room, identity, name), while the
 * server is the one that checks it. Throws a TypeError for anything that is
 * not a JWT.
 * @param {string} token
 * @returns {{room?: string, sub?: string, name?: string, exp?: number, [claim: string]: any}}
 */
export function decodeToken(token) {
  const part = typeof token === 'string' ? token.split('.')[1] : undefined;
  if (!part) throw new TypeError('the access token is not a JWT');
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '=');
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    if (!claims || typeof claims !== 'object') throw new Error('not an object');
    return claims;
  } catch (err) {
    throw new TypeError(`the access token's payload cannot be read: ${err.message}`);
  }
}

/** One session in one room. Create it with connect(). */
export class Room extends EventTarget {
  /** @param {string|URL} url @param {ConnectOptions} options */
  constructor(url, { room, name, token, timeout = 15000, reconnectTimeout = 30000, rtcConfig = {}, dtx = true, log } = {}) {
    super();
    const claims = token ? decodeToken(token) : {};
    room = room || claims.room;
    name = name || claims.name || claims.sub;
    if (!room) throw new TypeError('connect: no room: pass options.room or a token with a "room" claim');
    if (!name) throw new TypeError('connect: no name: pass options.name or a token with a "name" or "sub" claim');
    /**
     * The signaling WebSocket's URL of the server this room is joined at
     * (after a redirect, the server it was sent to).
     */
    this.url = wsURL(url);
    /** The room's name. */
    this.roomName = room;
    /** This participant's display name (the room's name is roomName). */
    this.name = name;
    /** This participant's id, set by `joined`. */
    this.participantId = null;
    /** The other participants: id → {id, name, tracks: Map<trackId, info>}. */
    this.participants = new Map();
    /** The ICE servers the server handed out. */
    this.iceServers = [];
    /** @type {RTCPeerConnection|null} */
    this.pc = null;
    /** @type {WebSocket|null} */
    this.ws = null;
    this.closed = false;
    /** What the server lets this participant do, from `joined`. */
    this.permissions = { publish: true, publishScreen: true, subscribe: true };
    /** This participant, as LiveKit's API has it. */
    this.localParticipant = new LocalParticipant(this, claims.sub || '', claims.name || name); // the server shows the token's name
    /**
     * The other participants, by identity (the token's `sub`; the
     * participant id on a server without API keys). Their `sid` is the
     * participant id.
     * @type {Map<string, RemoteParticipant>}
     */
    this.remoteParticipants = new Map();
    /** @type {Map<string, RemoteParticipant>} the same, by participant id: how the protocol names them */
    this._bySid = new Map();
    /** The data channels (see publishData), on the current RTCPeerConnection. */
    this._dataChannels = null;
    /** False while the browser blocks sound that has not followed a click (see startAudio()). */
    this.canPlaybackAudio = true;
    /**
     * Who is speaking, from the server's `speakers` messages: the dominant
     * speaker (the one holding the floor) first, then from the loudest.
     * @type {Participant[]}
     */
    this.activeSpeakers = [];
    this._qualities = new Map(); // participant id → the server's last quality entry

    this._listeners = new Map(); // event name → Set of room.on() listeners
    this._token = token;
    this._timeout = timeout;
    this._rtcConfig = rtcConfig;
    this._dtx = Boolean(dtx);
    this._log = log || defaultLog;
    this._published = new Map(); // MediaStreamTrack → {transceiver, source, muted, announced}
    this._localStreams = new Map(); // 'main' | 'screen' → MediaStream
    this._trackIds = new Map(); // mid → trackId, from the server's latest offer/answer
    this._remote = new Map(); // trackId → {participantId, trackId, info, track, stream, mid}
    this._gone = new Set(); // trackIds unpublished before their transceiver was renegotiated
    this._pendingCandidates = [];
    this._waiters = new Set(); // publish() calls waiting for their negotiation
    this._makingOffer = false;
    this._serverExtensions = new Set(SFU_HEADER_EXTENSIONS);
    this._gatheredUfrags = new Set(); // local ICE ufrags we have sent a candidate for
    this._holdOffers = false; // true while the server is expected to offer first
    this._offerDeferred = false;
    this._signaling = Promise.resolve(); // serializes handling of server messages
    this._offerDone = Promise.resolve(); // settles when the offer being made is out
    this._settings = new Map(); // trackId → {want, sent, timer}: track-settings for the server
    this._joining = true; // until `joined` (again, after a redirect during the session)
    this._joinReceived = false; // the current WebSocket has delivered `joined`
    this._hops = 0; // redirects followed by the join under way
    this._migrating = false; // moving to another server (a redirect during the session)
    this._rejoined = null; // while migrating: settles once joined at the new server
    this._joinTimer = 0;
    this._abandonRejoin = null; // while migrating: fails _rejoined
    this._resumeToken = ''; // from the last `joined`: resumes this session once
    this._resuming = false; // reconnecting after the signaling connection dropped
    this._reconnectTimeout = reconnectTimeout;
    this._resumeDeadline = 0;
    this._resumeTry = 0;
    this._resumeTimer = 0;
    this._iceTimer = 0;
    this._onPageHide = () => this.leave();
  }

  /** Opens the WebSocket, joins, and sets up the RTCPeerConnection. */
  _start() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err) => {
        if (settled) return;
        settled = true;
        this._teardown();
        reject(err);
      };
      this._joinTimer = setTimeout(
        () => fail(new SwitchboardError('timeout', 'the server did not answer in time')),
        this._timeout,
      );
      this._onJoined = () => {
        if (settled) return;
        settled = true;
        clearTimeout(this._joinTimer);
        resolve();
      };
      this._onJoinFailed = fail;
      globalThis.addEventListener?.('pagehide', this._onPageHide);
      this._openSocket();
    });
  }

  // Opens the signaling WebSocket to this.url and sends join once it is
  // open. A close before `joined` fails the join under way (_onJoinFailed);
  // one after it ends the session.
  _openSocket() {
    this._joinReceived = false;
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (err) {
      this._onJoinFailed(new SwitchboardError('connect-failed', `cannot open ${this.url}: ${err.message}`));
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      const join = { type: 'join', version: PROTOCOL_VERSION, room: this.roomName, name: this.name };
      if (this._token) join.token = this._token;
      if (this._resuming) join.resume = this._resumeToken;
      this._send(join);
    };
    ws.onmessage = (ev) => this._onMessage(ev.data);
    ws.onerror = () => {}; // onclose follows and says more
    ws.onclose = (ev) => {
      if (this._resuming && !this._joinReceived) {
        this._retryResume();
        return;
      }
      if (!this._joinReceived) {
        this._onJoinFailed(new SwitchboardError('connect-failed',
          `the connection to ${this.url} closed before joining (code ${ev.code})`));
        return;
      }
      if (!this._closeReason && this._resumeToken && !this.closed) {
        this._startResume(`connection lost (code ${ev.code})`);
        return;
      }
      this._disconnect({ reason: this._closeReason || 'connection lost', code: ev.code });
    };
  }

  // Stops listening to a WebSocket and closes it.
  _dropSocket(ws) {
    if (!ws) return;
    ws.onmessage = ws.onclose = ws.onopen = null;
    if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
  }

  // ---- public API ----------------------------------------------------------

  /**
   * Publishes a local track on a new sendonly transceiver. A MediaStream
   * publishes each of its tracks. Resolves once the server has accepted it.
   *
   * Camera video goes out as simulcast (SIMULCAST_ENCODINGS: three layers,
   * rids q, h, f) unless `simulcast: false`; other sources as one encoding
   * unless `simulcast: true`. `encodings` gives the send encodings outright
   * (with rids for simulcast). The server may switch layers off that no one
   * needs (dynacast, the `layers` event) and back on.
   * @param {MediaStreamTrack|MediaStream} track
   * @param {{source?: 'camera'|'microphone'|'screen', muted?: boolean, stream?: MediaStream,
   *          simulcast?: boolean, encodings?: RTCRtpEncodingParameters[]}} options
   */
  async publish(track, options = {}) {
    if (track instanceof MediaStream) {
      return Promise.all(track.getTracks().map((t) => this.publish(t, { ...options, stream: track })));
    }
    if (this._migrating) await this._rejoined; // published at the new server
    this._checkOpen();
    if (this._published.has(track)) throw new Error('publish: this track is already published');
    const source = options.source || (track.kind === 'audio' ? 'microphone' : 'camera');
    if (!SOURCES.has(source)) throw new TypeError(`publish: unknown source ${source}`);
    const stream = this._localStream(source, options.stream);
    stream.addTrack(track);
    const muted = Boolean(options.muted);
    if (muted) track.enabled = false;
    const simulcast = options.simulcast ?? source === 'camera';
    let encodings = null;
    if (options.encodings) {
      encodings = options.encodings.map((e) => ({ ...e }));
    } else if (simulcast && track.kind === 'video') {
      encodings = SIMULCAST_ENCODINGS.map((e) => ({ ...e }));
    }
    const rids = (encodings || []).map((e) => e.rid).filter(Boolean);
    const entry = { transceiver: null, source, muted, stream, encodings, announced: false, offeredMuted: muted, rids };
    this._addTransceiver(track, entry);
    this._published.set(track, entry);
    // negotiationneeded fires now; wait until an answer has made it sendonly
    // (on the transceiver of the moment: a move to another server makes a new one).
    await this._waitNegotiated(() => isSending(entry.transceiver));
    return entry.transceiver;
  }

  // Sends track on a new sendonly transceiver of the RTCPeerConnection, as
  // entry says (its source's stream, its encodings), and makes it entry's.
  _addTransceiver(track, entry) {
    const init = { direction: 'sendonly', streams: [entry.stream] };
    if (entry.encodings) init.sendEncodings = entry.encodings.map((e) => ({ ...e }));
    entry.transceiver = this.pc.addTransceiver(track, init);
    this._limitHeaderExtensions(entry.transceiver);
    if (track.kind === 'audio') preferRED(entry.transceiver);
    entry.announced = false;
    entry.offeredMuted = entry.muted;
    entry.simulcastChecked = false;
  }

  /** Stops sending a published track. The track itself is not stopped. */
  async unpublish(track) {
    const entry = this._published.get(track);
    if (!entry) return;
    this._published.delete(track);
    entry.stream.removeTrack(track);
    if (this.closed || this._migrating) return; // a move publishes only what _published holds
    const { transceiver } = entry;
    await transceiver.sender.replaceTrack(null);
    transceiver.direction = 'inactive'; // fires negotiationneeded; the next offer omits it
  }

  /**
   * Mutes or unmutes a published track: a muted track sends black frames or
   * silence and the others are told.
   */
  setMuted(track, muted) {
    const entry = this._published.get(track);
    if (!entry) throw new Error('setMuted: the track is not published');
    muted = Boolean(muted);
    track.enabled = !muted;
    if (entry.muted === muted) return;
    entry.muted = muted;
    const mid = entry.transceiver.mid;
    // Before the server has seen the track, the next offer carries the state.
    if (mid !== null && entry.announced) this._send({ type: 'mute', mid, muted });
  }

  /** Whether a published track is muted. */
  isMuted(track) {
    return Boolean(this._published.get(track)?.muted);
  }

  /**
   * Sends newTrack in place of oldTrack, on the same transceiver, with no
   * renegotiation (switching cameras or microphones). The mute state carries
   * over. oldTrack is not stopped.
   */
  async replaceTrack(oldTrack, newTrack) {
    const entry = this._published.get(oldTrack);
    if (!entry) throw new Error('replaceTrack: the old track is not published');
    if (newTrack.kind !== oldTrack.kind) throw new TypeError('replaceTrack: the kinds differ');
    newTrack.enabled = !entry.muted;
    // While moving to another server the old connection is closed: the new
    // one sends whatever _published holds.
    if (!this._migrating) await entry.transceiver.sender.replaceTrack(newTrack);
    this._published.delete(oldTrack);
    this._published.set(newTrack, entry);
    entry.stream.removeTrack(oldTrack);
    entry.stream.addTrack(newTrack);
  }

  /**
   * The local tracks being published, with their source, mute state and, for
   * simulcast, the rids offered and those the server's answer accepted.
   */
  get publishedTracks() {
    return [...this._published].map(([track, e]) => ({
      track, source: e.source, muted: e.muted, mid: e.transceiver.mid, rids: [...e.rids],
      simulcast: this._acceptedRids(e.transceiver.mid),
    }));
  }

  /**
   * Tells the server how this client shows a video track it receives: the
   * size of its tile in device pixels and whether it is hidden or off-screen
   * (paused: the server sends nothing for it). The server sends the
   * simulcast layer that fits. Changes are sent once they have settled for
   * 250 ms, and only when they differ from what the server knows. Use
   * observeTrack() to have this done for a <video> element.
   * @param {string} trackId
   * @param {{width?: number, height?: number, paused?: boolean}} settings
   */
  setTrackSettings(trackId, { width = 0, height = 0, paused = false } = {}) {
    if (this.closed) return;
    const side = (v) => Math.min(MAX_TILE_SIDE, Math.max(0, Math.round(Number(v) || 0)));
    let st = this._settings.get(trackId);
    if (!st) {
      st = { want: null, sent: null, timer: 0 };
      this._settings.set(trackId, st);
    }
    st.want = { width: side(width), height: side(height), paused: Boolean(paused) };
    clearTimeout(st.timer);
    st.timer = setTimeout(() => {
      st.timer = 0;
      this._flushSettings(trackId);
    }, SETTINGS_DEBOUNCE_MS);
  }

  /** The track-settings last sent to the server for a track, or null. */
  trackSettings(trackId) {
    const sent = this._settings.get(trackId)?.sent;
    return sent ? { ...sent } : null;
  }

  /**
   * Keeps the server told how `element` (the <video> showing the remote
   * track trackId) is shown: its size in device pixels (clientWidth and
   * clientHeight × devicePixelRatio), and paused while it is off-screen, the
   * page is hidden, or the element is hidden (display or visibility).
   * Returns {update(), stop()}: call update() after a change the observers
   * cannot see (a class that sets visibility: hidden), stop() when the
   * element no longer shows the track.
   * @param {string} trackId
   * @param {HTMLElement} element
   */
  observeTrack(trackId, element) {
    return watchElement(element, (settings) => this.setTrackSettings(trackId, settings));
  }

  /** The remote tracks being received: trackId → {participantId, trackId, info, track, stream}. */
  get remoteTracks() {
    return new Map(this._remote);
  }

  /**
   * Leaves the room and closes the connection. Safe to call more than once.
   * While reconnecting, it stops trying at once; the server, which holds our
   * place, hears of it on a short-lived connection of its own (_leaveHeld)
   * and from the closed RTCPeerConnection (DTLS close_notify).
   */
  leave() {
    if (this.closed) return;
    if (this._resuming) this._leaveHeld();
    else this._send({ type: 'leave' });
    this._disconnect({ reason: 'left' });
  }

  // Leaves a session the server holds for resume: the connection that would
  // carry leave is gone, so a new one carries it with the resume token, as
  // its first and only message, and closes (the close frame follows the
  // message). If the server cannot be reached either, the closed
  // RTCPeerConnection tells it, else the resume window ends the session.
  _leaveHeld() {
    const msg = JSON.stringify({ type: 'leave', room: this.roomName, resume: this._resumeToken });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch {
      return;
    }
    ws.onopen = () => {
      ws.send(msg);
      ws.close(1000);
    };
    ws.onerror = () => {};
  }

  /**
   * Leaves the room (LiveKit's name for leave()); `disconnected` follows
   * with the reason `'left'`.
   * @returns {Promise<void>}
   */
  async disconnect() {
    this.leave();
  }

  /**
   * `'connected'` from connect() on, `'reconnecting'` while the room moves
   * to another server (a redirect during the session), `'disconnected'`
   * once the session is over.
   */
  get state() {
    if (this.closed) return 'disconnected';
    return this._migrating || this._resuming ? 'reconnecting' : 'connected';
  }

  /**
   * Calls fn for every event `name`, with the event's arguments (see the
   * list at the top of this file). An event of the lower-level API
   * (`track`, `layers`, ...) gives fn its detail object.
   * @param {string} name
   * @param {(...args: any[]) => void} fn
   * @returns {this}
   */
  on(name, fn) {
    if (typeof fn !== 'function') throw new TypeError('on: the listener must be a function');
    let set = this._listeners.get(name);
    if (!set) this._listeners.set(name, (set = new Set()));
    set.add(fn);
    return this;
  }

  /**
   * Stops calling fn for the event name.
   * @param {string} name
   * @param {(...args: any[]) => void} fn
   * @returns {this}
   */
  off(name, fn) {
    this._listeners.get(name)?.delete(fn);
    return this;
  }

  /**
   * Calls fn for the next event name only.
   * @param {string} name
   * @param {(...args: any[]) => void} fn
   * @returns {this}
   */
  once(name, fn) {
    const wrapper = (...args) => {
      this.off(name, wrapper);
      fn.apply(this, args);
    };
    return this.on(name, wrapper);
  }

  /**
   * The remote participant of an identity (LiveKit's name), if present.
   * @param {string} identity
   * @returns {RemoteParticipant|undefined}
   */
  getParticipantByIdentity(identity) {
    return this.remoteParticipants.get(identity);
  }

  /**
   * The remote participant of a participant id (its `sid`: how the protocol
   * names participants), if present.
   * @param {string} sid
   * @returns {RemoteParticipant|undefined}
   */
  getParticipantBySid(sid) {
    return this._bySid.get(sid);
  }

  /**
   * Starts the remote audio that the browser's autoplay policy blocked
   * (canPlaybackAudio false, `audioPlaybackChanged`). Call it from a click
   * or another user gesture.
   * @returns {Promise<void>}
   */
  async startAudio() {
    const elements = [];
    for (const p of this.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) {
        if (pub.track && pub.kind === 'audio') elements.push(...pub.track.attachedElements);
      }
    }
    await Promise.all(elements.map((el) => el.play()));
    this._setAudioPlayback(true);
  }

  _setAudioPlayback(can) {
    if (this.canPlaybackAudio === can) return;
    this.canPlaybackAudio = can;
    this._fire('audioPlaybackChanged', { canPlaybackAudio: can });
  }

  // ---- signaling -----------------------------------------------------------

  _send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this._log('debug', `switchboard → ${summarize(msg)}`);
    this.ws.send(JSON.stringify(msg));
  }

  _checkOpen() {
    if (this.closed || !this.pc) throw new Error('the room is closed');
  }

  _onMessage(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      this._log('warn', 'switchboard: unparseable message from the server', data);
      return;
    }
    this._log('debug', `switchboard ← ${summarize(msg)}`);
    if (msg.type === 'joined') this._joinReceived = true;
    if (msg.type === 'redirect') {
      // At once, before this WebSocket's close can end the session.
      this._redirect(msg);
      return;
    }
    // Messages are handled one after the other: an answer or a candidate must
    // not overtake the offer before it.
    this._signaling = this._signaling
      .then(() => this._handle(msg))
      .catch((err) => this._log('error', `switchboard: handling ${msg.type} failed:`, err));
  }

  async _handle(msg) {
    if (this.closed) return;
    switch (msg.type) {
      case 'joined':
        return this._handleJoined(msg);
      case 'participant-joined':
        return this._handleParticipantJoined(msg.participant);
      case 'participant-left':
        return this._handleParticipantLeft(msg.participantId);
      case 'track-published':
        return this._handleTrackPublished(msg.track);
      case 'track-unpublished':
        return this._handleTrackUnpublished(msg.participantId, msg.trackId);
      case 'mute':
        return this._handleMute(msg);
      case 'offer':
      case 'answer':
        return this._handleDescription(msg);
      case 'candidate':
        return this._handleCandidate(msg.candidate);
      case 'layers':
        return this._handleLayers(msg);
      case 'speakers':
        return this._handleSpeakers(msg.speakers);
      case 'quality':
        return this._handleQuality(msg.qualities);
      case 'data':
        return this._receiveData(msg.participantId, base64ToBytes(msg.payload), msg.topic);
      case 'attributes':
        return this._handleAttributes(msg);
      case 'error':
        return this._handleError(msg);
      case 'bye':
        this._closeReason = msg.reason || 'the server ended the session';
        this._disconnect({ reason: this._closeReason });
        return;
      default:
        this._log('warn', `switchboard: ignoring message of unknown type ${msg.type}`);
    }
  }

  // The server sends us to another server of the cluster (version 2): it is
  // full, or shutting down. Before `joined` the join goes on there; during
  // the session the room moves there (_migrate). Either way this WebSocket
  // is done with (the server closes it).
  _redirect(msg) {
    if (this.closed) return;
    this._dropSocket(this.ws);
    let url = '';
    try {
      url = wsURL(String(msg.url || ''));
      if (!/^wss?:$/.test(new URL(url).protocol)) throw new Error('not an http(s) or ws(s) URL');
    } catch (err) {
      this._redirectFailed(new SwitchboardError('bad-redirect', `the server sent a redirect to ${JSON.stringify(msg.url)}: ${err.message}`));
      return;
    }
    if (++this._hops > MAX_REDIRECTS) {
      this._redirectFailed(new SwitchboardError('too-many-redirects', `redirected more than ${MAX_REDIRECTS} times, last to ${url}`));
      return;
    }
    const reason = msg.reason || 'redirected';
    this._log('info', `switchboard: redirected to ${url} (${reason})`);
    this.url = url;
    if (this._joinReceived || !this._joining) {
      // During the session: after what the old server sent has been handled.
      this._signaling = this._signaling
        .then(() => this._migrate(reason))
        .catch((err) => this._log('error', 'switchboard: moving to another server failed:', err));
      return;
    }
    this._openSocket();
  }

  _redirectFailed(err) {
    if (this._joining && !this._joinReceived) this._onJoinFailed(err);
    else this._disconnect({ reason: err.message, code: err.code, message: err.message });
  }

  // A redirect during the session: the old server is going away. Its
  // RTCPeerConnection is closed (the others' tracks end: trackUnsubscribed),
  // and the room joins again at this.url with the same room, name and token;
  // _handleJoined then publishes the local tracks again on a new
  // RTCPeerConnection, with their mute states, and emits `reconnected`.
  async _migrate(reason, announce = true) {
    if (this.closed) return;
    this._migrating = true;
    this._joining = true;
    let done;
    let failed;
    this._rejoined = new Promise((resolve, reject) => { done = resolve; failed = reject; });
    this._rejoined.catch(() => {}); // publish() calls waiting on it see it; nobody else must
    this._abandonRejoin = () => failed(new Error('the room closed while moving to another server'));
    if (announce) this._fire('reconnecting', { reason, url: this.url });
    this._closePeerConnection();
    for (const trackId of [...this._remote.keys()]) this._removeRemote(trackId, false);
    for (const st of this._settings.values()) clearTimeout(st.timer);
    this._settings.clear();
    this._trackIds = new Map();
    this._gone.clear();
    this._pendingCandidates = [];
    this._makingOffer = false;
    this._serverExtensions = new Set(SFU_HEADER_EXTENSIONS);
    this._gatheredUfrags.clear();
    clearTimeout(this._holdTimer);
    this._holdOffers = false;
    this._offerDeferred = false;
    this._offerDone = Promise.resolve();
    const previous = this.participantId;
    clearTimeout(this._joinTimer);
    const fail = (err) => {
      clearTimeout(this._joinTimer);
      failed(err);
      this._disconnect({ reason: `could not join again at ${this.url}: ${err.message}`, code: err.code, message: err.message });
    };
    this._joinTimer = setTimeout(() => fail(new SwitchboardError('timeout', 'the server did not answer in time')), this._timeout);
    this._onJoinFailed = fail;
    this._onJoined = () => {
      clearTimeout(this._joinTimer);
      this._migrating = false;
      this._abandonRejoin = null;
      done();
      this._fire('reconnected', { participantId: this.participantId, previousParticipantId: previous });
    };
    this._openSocket();
  }

  // ---- reconnect and resume ------------------------------------------------

  // The signaling connection dropped without the server ending the session:
  // the server holds our place (participant, RTCPeerConnection, tracks) for
  // its resume window. Reconnect with backoff and resume with the token of
  // the last `joined`; media goes on meanwhile.
  _startResume(reason) {
    this._log('info', `switchboard: ${reason}; reconnecting`);
    this._resuming = true;
    this._joining = true;
    this._resumeTry = 0;
    this._resumeDeadline = Date.now() + this._reconnectTimeout;
    this._onJoined = () => {};
    this._onJoinFailed = (err) => this._disconnect({ reason: `could not reconnect: ${err.message}`, code: err.code, message: err.message });
    this._fire('reconnecting', { reason, url: this.url });
    this._retryResume();
  }

  // Opens the next WebSocket after its backoff delay, or gives up once the
  // next try would start past the deadline. A try that neither joins nor
  // closes within RESUME_TRY_TIMEOUT (a connect into a dead network) is
  // dropped for the next.
  _retryResume() {
    clearTimeout(this._resumeTimer);
    if (this.closed || !this._resuming) return;
    this._dropSocket(this.ws);
    const delay = RESUME_BACKOFF[Math.min(this._resumeTry++, RESUME_BACKOFF.length - 1)];
    if (Date.now() + delay > this._resumeDeadline) {
      this._onJoinFailed(new SwitchboardError('timeout', 'the server could not be reached again in time'));
      return;
    }
    this._resumeTimer = setTimeout(() => {
      this._resumeTimer = setTimeout(() => this._retryResume(), RESUME_TRY_TIMEOUT);
      this._openSocket();
    }, delay);
  }

  // Resumed: same participant, same RTCPeerConnection. The room is as the
  // server lists it now (who came and went meanwhile is reconciled); what we
  // sent while the connection was down is lost, so mute states and tile
  // settings go again; the server's own offer follows at once and settles
  // any negotiation that was in flight.
  _handleResumed(msg) {
    clearTimeout(this._resumeTimer);
    this._joining = false;
    this._resuming = false;
    this._resumeToken = msg.resumeToken || '';
    this._reconcileParticipants(msg.participants || []);
    for (const entry of this._published.values()) {
      const mid = entry.transceiver?.mid;
      if (mid != null && entry.announced) this._send({ type: 'mute', mid, muted: entry.muted });
    }
    for (const [trackId, st] of this._settings) {
      st.sent = null;
      this._flushSettings(trackId);
    }
    this._log('info', 'switchboard: resumed');
    this._fire('reconnected', { participantId: this.participantId, previousParticipantId: this.participantId });
    const ice = this.pc?.iceConnectionState;
    if (ice === 'failed' || ice === 'disconnected') this._restartIce(this.pc);
  }

  // The server no longer holds our place (its window passed, or it
  // restarted): join again, as after a redirect, publishing anew.
  _resumeRefused(err) {
    clearTimeout(this._resumeTimer);
    this._log('info', `switchboard: resume refused (${err.message}); joining again`);
    this._resuming = false;
    this._resumeToken = '';
    this._dropSocket(this.ws);
    return this._migrate('resume refused', false);
  }

  // ICE restart (RFC 8445 §9) when the network under the connection
  // changed: at once on failed, after ICE_RESTART_AFTER_DISCONNECTED of
  // disconnected (a blip recovers sooner by itself). While the signaling
  // connection is down it waits for the resume.
  _watchIce(pc) {
    pc.oniceconnectionstatechange = () => {
      clearTimeout(this._iceTimer);
      const state = pc.iceConnectionState;
      this._log('debug', `switchboard: ICE ${state}`);
      if (state === 'failed') this._restartIce(pc);
      else if (state === 'disconnected') this._iceTimer = setTimeout(() => this._restartIce(pc), ICE_RESTART_AFTER_DISCONNECTED);
    };
  }

  _restartIce(pc) {
    if (this.closed || pc !== this.pc || this._resuming) return;
    const state = pc.iceConnectionState;
    if (state !== 'failed' && state !== 'disconnected') return;
    this._log('info', `switchboard: ICE ${state}: restarting ICE`);
    pc.restartIce();
  }

  _handleJoined(msg) {
    if (!this._joining) return;
    if (msg.resumed && this._resuming) return this._handleResumed(msg);
    this._resumeToken = msg.resumeToken || '';
    this._joining = false;
    this._hops = 0;
    const rejoin = this.participantId !== null;
    this.participantId = msg.participantId;
    if (msg.permissions && typeof msg.permissions === 'object') {
      this.permissions = {
        publish: Boolean(msg.permissions.publish),
        publishScreen: Boolean(msg.permissions.publishScreen),
        subscribe: Boolean(msg.permissions.subscribe),
      };
    }
    const local = this.localParticipant;
    if (msg.identity) local.identity = msg.identity;
    else if (!local.identity || local.identity === local.sid) local.identity = msg.participantId; // no token: the id is all there is
    local.sid = msg.participantId;
    this.iceServers = (msg.iceServers || []).map((s) => {
      const server = { urls: s.urls };
      if (s.username) server.username = s.username;
      if (s.credential) server.credential = s.credential;
      return server;
    });
    if (rejoin) this._reconcileParticipants(msg.participants || []);
    else for (const p of msg.participants || []) this._addParticipant(p);
    this._createPeerConnection();
    // After a move: what was published goes out again, muted or not.
    for (const [track, entry] of this._published) this._addTransceiver(track, entry);
    // A newcomer to a room with tracks gets an offer for them right away:
    // offering at the same time would only collide, so our offers wait for
    // it (or for a few seconds).
    if ((msg.participants || []).some((p) => p.tracks && p.tracks.length)) {
      this._holdOffers = true;
      this._holdTimer = setTimeout(() => this._releaseOffers(), 3000);
    }
    this._onJoined();
  }

  // After a move to another server, the participants it lists are the room
  // now: the others left (participantDisconnected), those not known joined
  // (participantConnected), and the known ones keep their RemoteParticipant
  // with the tracks now listed (trackUnpublished, trackPublished).
  _reconcileParticipants(list) {
    const now = new Map();
    for (const p of list) if (p && p.id && p.id !== this.participantId) now.set(p.id, p);
    for (const id of new Set([...this.participants.keys(), ...this._bySid.keys()])) {
      if (!now.has(id)) this._handleParticipantLeft(id);
    }
    for (const p of now.values()) {
      const remote = this._bySid.get(p.id);
      if (!remote || !this.participants.has(p.id)) {
        this._handleParticipantJoined(p);
        continue;
      }
      const listed = new Set((p.tracks || []).map((t) => t.id));
      const before = new Set(remote.trackPublications.keys());
      for (const publication of [...remote.trackPublications.values()]) {
        if (listed.has(publication.trackSid)) continue;
        remote.trackPublications.delete(publication.trackSid);
        this._fire('trackUnpublished', { publication, participant: remote });
      }
      this._addParticipant(p);
      for (const [trackSid, publication] of remote.trackPublications) {
        if (before.has(trackSid)) continue;
        const info = this.participants.get(p.id).tracks.get(trackSid);
        this._emit('track-published', { participantId: p.id, trackId: trackSid, info });
        this._fire('trackPublished', { publication, participant: remote });
      }
    }
  }

  _createPeerConnection() {
    const pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
      ...this._rtcConfig,
      iceServers: [...(this._rtcConfig.iceServers || []), ...this.iceServers],
    });
    this.pc = pc;
    this._dataChannels = openDataChannels(pc, (data) => this._onDataFrame(data));

    // Perfect negotiation, polite side: offer whenever something changed.
    pc.onnegotiationneeded = () => this._negotiate();

    pc.onicecandidate = ({ candidate }) => {
      // A null or empty candidate only means the end of gathering: not sent.
      if (candidate && candidate.candidate) {
        this._gatheredUfrags.add(candidate.usernameFragment || iceUfrag(pc.localDescription?.sdp));
        this._send({ type: 'candidate', candidate: candidate.toJSON() });
      } else {
        this._log('debug', 'switchboard: end of candidates');
      }
    };
    pc.onicegatheringstatechange = () => this._log('debug', `switchboard: ICE gathering ${pc.iceGatheringState}`);

    pc.ontrack = (ev) => {
      const mid = ev.transceiver.mid;
      const trackId = this._trackIds.get(mid);
      if (!trackId) {
        this._log('warn', `switchboard: a track arrived on mid ${mid}, which the server did not name`);
        return;
      }
      this._addRemote(mid, trackId, ev.track, ev.streams[0]);
    };

    pc.onsignalingstatechange = () => this._checkWaiters();

    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      this._log('debug', `switchboard: connection ${state}`);
      this._emit('connection-state', { state });
      this._fire('connectionStateChanged', { state });
    };
    this._watchIce(pc);
  }

  // Makes an offer for whatever changed (negotiationneeded), unless offers
  // are held back or one is already being made.
  async _negotiate() {
    const pc = this.pc;
    if (!pc || this.closed || this._makingOffer || pc.signalingState !== 'stable') return;
    if (this._holdOffers) {
      this._offerDeferred = true;
      return;
    }
    this._offerDeferred = false;
    let done;
    this._offerDone = new Promise((resolve) => { done = resolve; });
    try {
      this._makingOffer = true;
      await this._setLocalOffer(pc);
      if (pc.signalingState !== 'have-local-offer' || this.closed) return;
      const tracks = [];
      for (const entry of this._published.values()) {
        const { transceiver } = entry;
        if (transceiver.mid === null || transceiver.direction !== 'sendonly') continue;
        tracks.push({ mid: transceiver.mid, source: entry.source, muted: entry.muted });
        entry.offeredMuted = entry.muted;
      }
      this._send({ type: 'offer', sdp: pc.localDescription.sdp, tracks });
    } catch (err) {
      if (!this.closed) this._log('error', 'switchboard: making an offer failed:', err);
    } finally {
      this._makingOffer = false;
      done();
    }
  }

  // Before a rollback: lets our offer in flight finish and its ICE gathering
  // get going (first candidate, or done; at most a second). Chromium can
  // stall all later gathering of this connection, ICE restarts included,
  // when an offer is rolled back within moments of its gathering starting.
  async _settleBeforeRollback() {
    const pc = this.pc;
    await this._offerDone;
    const ufrag = iceUfrag(pc.pendingLocalDescription?.sdp);
    if (!ufrag || this._gatheredUfrags.has(ufrag) || pc.iceGatheringState === 'complete') return;
    await new Promise((resolve) => {
      const check = () => {
        if (pc.iceGatheringState === 'complete' || this._gatheredUfrags.has(ufrag)) finish();
      };
      const finish = () => {
        clearTimeout(timer);
        pc.removeEventListener('icecandidate', check);
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      };
      const timer = setTimeout(finish, 1000);
      pc.addEventListener('icecandidate', check);
      pc.addEventListener('icegatheringstatechange', check);
    });
  }

  _releaseOffers() {
    clearTimeout(this._holdTimer);
    if (!this._holdOffers) return;
    this._holdOffers = false;
    if (this._offerDeferred && this.pc.signalingState === 'stable') {
      this._offerDeferred = false;
      this._negotiate();
    }
  }

  // setLocalDescription() for an offer, with a workaround for a Chromium bug:
  // once a local offer has been rolled back (a collision, see
  // _handleDescription), Chromium may number the RTP header extensions of
  // new m-sections with ids from the discarded offer, colliding with the ids
  // the server's offer chose ("A BUNDLE group contains a codec collision for
  // header extension id=N"), and then fails every offer. The offer is
  // then made again with the ids made consistent across the BUNDLE group.
  async _setLocalOffer(pc) {
    try {
      await pc.setLocalDescription();
    } catch (err) {
      if (!/header extension/i.test(err.message) || pc.signalingState !== 'stable') throw err;
      this._log('warn', 'switchboard: working around a browser bug in header extension ids:', err.message);
      const offer = await pc.createOffer();
      const negotiated = `${pc.currentRemoteDescription?.sdp || ''}\r\n${pc.currentLocalDescription?.sdp || ''}`;
      await pc.setLocalDescription({ type: 'offer', sdp: fixExtmapIds(offer.sdp, negotiated) });
    }
  }

  async _handleDescription(msg) {
    const pc = this.pc;
    if (!pc) return;
    const description = { type: msg.type, sdp: this._dtx ? withOpusDTX(msg.sdp) : msg.sdp };
    // ontrack fires inside setRemoteDescription: the names must be there first.
    // An offer lists every track the server sends (none when trackIds is
    // absent); an answer without trackIds leaves the names as they were.
    const previous = this._trackIds;
    if (msg.trackIds || description.type === 'offer') this._trackIds = new Map(Object.entries(msg.trackIds || {}));
    const collision = description.type === 'offer' && (this._makingOffer || pc.signalingState !== 'stable');
    if (collision) this._log('debug', 'switchboard: offer collision; rolling back our own offer');
    try {
      // Polite: never ignore an offer. On a collision our pending offer is
      // rolled back, and negotiationneeded makes a new one once we are stable
      // again. The rollback is explicit: Chromium checks the remote offer
      // against the pending local one before an implicit rollback and
      // refuses header extension ids that only the discarded offer used.
      if (collision) {
        await this._settleBeforeRollback();
        await pc.setLocalDescription({ type: 'rollback' }).catch(() => {});
      }
      await pc.setRemoteDescription(description);
      this._learnExtensions(description.sdp);
    } catch (err) {
      this._trackIds = previous;
      if (description.type === 'answer' && pc.signalingState === 'stable') {
        // An answer to an offer we rolled back: nothing to apply.
        this._log('warn', 'switchboard: ignoring an answer that matches no pending offer', err);
        return;
      }
      throw err;
    }
    if (description.type === 'offer') {
      await pc.setLocalDescription();
      this._send({ type: 'answer', sdp: pc.localDescription.sdp });
      this._releaseOffers();
    }
    if (description.type === 'answer') this._checkSimulcast();
    this._announceNewMids();
    await this._flushCandidates();
    this._syncRemoteTracks();
    this._checkWaiters();
  }

  // Once a negotiation has made a transceiver sendonly, the server knows its
  // mid: from then on mute changes go as `mute` messages. A change made while
  // the offer was on its way is sent now.
  _announceNewMids() {
    for (const [track, entry] of this._published) {
      const dir = entry.transceiver.currentDirection;
      if (entry.announced || (dir !== 'sendonly' && dir !== 'sendrecv')) continue;
      entry.announced = true;
      this.localParticipant._moved(entry.transceiver.mid, track);
      if (entry.offeredMuted !== entry.muted) {
        this._send({ type: 'mute', mid: entry.transceiver.mid, muted: entry.muted });
      }
    }
  }

  // Warns when the server's answer did not accept the simulcast layers of a
  // track: the browser then sends one layer only.
  _checkSimulcast() {
    for (const entry of this._published.values()) {
      const mid = entry.transceiver.mid;
      if (entry.rids.length < 2 || entry.simulcastChecked || mid === null) continue;
      if (entry.transceiver.currentDirection !== 'sendonly' && entry.transceiver.currentDirection !== 'sendrecv') continue;
      entry.simulcastChecked = true;
      const accepted = this._acceptedRids(mid);
      if (!accepted || entry.rids.some((rid) => !accepted.includes(rid))) {
        this._log('warn', `switchboard: the server accepted the simulcast layers ${accepted ? accepted.join(';') : '(none)'} of mid ${mid}, offered ${entry.rids.join(';')}`);
      }
    }
  }

  // The rids of the a=simulcast:recv line of the server's description for
  // mid, or null.
  _acceptedRids(mid) {
    const section = mediaSection(this.pc?.currentRemoteDescription?.sdp, mid);
    const m = /^a=simulcast:recv (\S+)/m.exec(section);
    return m ? m[1].split(/[;,]/).map((rid) => rid.replace(/^~/, '')) : null;
  }

  // Dynacast: the server names the simulcast layers of our track on mid that
  // someone needs; the others stop being encoded until named again.
  async _handleLayers({ mid, active }) {
    if (!this.pc || typeof mid !== 'string' || !Array.isArray(active)) return;
    const entry = [...this._published.values()].find((e) => e.transceiver.mid === mid);
    if (!entry || entry.rids.length === 0) {
      this._log('debug', `switchboard: layers for mid ${mid}, which sends no simulcast`);
      return;
    }
    const { sender } = entry.transceiver;
    const params = sender.getParameters();
    let changed = false;
    for (const encoding of params.encodings || []) {
      const on = active.includes(encoding.rid);
      if (encoding.rid && encoding.active !== on) {
        encoding.active = on;
        changed = true;
      }
    }
    if (changed) await sender.setParameters(params);
    this._emit('layers', { mid, track: sender.track, active: [...active] });
  }

  // Sends the track-settings wanted for trackId if the server does not have
  // them yet. A track not received yet gets them when it arrives.
  _flushSettings(trackId) {
    const st = this._settings.get(trackId);
    if (!st || !st.want || this.closed || !this._remote.has(trackId)) return;
    const { want, sent } = st;
    if (sent && sent.width === want.width && sent.height === want.height && sent.paused === want.paused) return;
    st.sent = want;
    this._send({ type: 'track-settings', trackId, ...want });
  }

  async _handleCandidate(candidate) {
    if (!candidate || !this.pc) return;
    if (!this.pc.remoteDescription) {
      this._pendingCandidates.push(candidate);
      return;
    }
    await this._addCandidate(candidate);
  }

  async _flushCandidates() {
    const queued = this._pendingCandidates;
    this._pendingCandidates = [];
    for (const c of queued) await this._addCandidate(c);
  }

  async _addCandidate(candidate) {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      // A candidate for a description that was rolled back or replaced is
      // harmless; a wrong one must not end the session either.
      if (!this.closed) this._log('warn', 'switchboard: ignoring a remote candidate:', err.message || err);
    }
  }

  _handleError(msg) {
    const err = new SwitchboardError(msg.code || 'internal', msg.message || msg.code, Boolean(msg.fatal));
    if (this._resuming && err.code === 'resume-failed') return this._resumeRefused(err);
    if (this._joining) {
      this._closeReason = err.message;
      this._onJoinFailed(err);
      return;
    }
    this._log(msg.fatal ? 'error' : 'warn', `switchboard: server error ${err.code}: ${err.message}`);
    this._emit('error', { code: err.code, message: err.message, fatal: err.fatal, error: err });
    if (err.fatal) {
      this._closeReason = `${err.message} (${err.code})`;
      this._disconnect({ reason: this._closeReason, code: err.code, message: err.message });
    }
  }

  // ---- participants and tracks ---------------------------------------------

  _addParticipant(p) {
    const participant = { id: p.id, name: p.name, tracks: new Map() };
    for (const t of p.tracks || []) participant.tracks.set(t.id, { ...t, participantId: p.id });
    this.participants.set(p.id, participant);
    const remote = this._remoteParticipant(p.id);
    remote.name = p.name || remote.name;
    if (p.identity && p.identity !== remote.identity) {
      // Known by its id until the server named its identity.
      if (this.remoteParticipants.get(remote.identity) === remote) this.remoteParticipants.delete(remote.identity);
      remote.identity = p.identity;
      this.remoteParticipants.set(remote.identity, remote);
    }
    if (p.attributes && typeof p.attributes === 'object') remote.attributes = { ...p.attributes };
    for (const info of participant.tracks.values()) remote._publish(info);
    const q = this._qualities.get(p.id);
    if (q) this._applyQuality(remote, q);
    return participant;
  }

  // The RemoteParticipant of id, made when first heard of.
  _remoteParticipant(id) {
    let remote = this._bySid.get(id);
    if (!remote) {
      remote = new RemoteParticipant(this, id);
      this._bySid.set(id, remote);
      this.remoteParticipants.set(remote.identity, remote);
    }
    return remote;
  }

  // The server's list of who is speaking: each participant's isSpeaking and
  // audioLevel, room.activeSpeakers, and the events.
  _handleSpeakers(list) {
    const speakers = [];
    const levels = new Map();
    for (const s of Array.isArray(list) ? list : []) {
      const p = s.participantId === this.participantId ? this.localParticipant : this._bySid.get(s.participantId);
      if (!p || levels.has(p)) continue; // not announced yet: the next list will have it
      levels.set(p, Number(s.level) || 0);
      speakers.push(p);
    }
    for (const p of [this.localParticipant, ...this.remoteParticipants.values()]) {
      p.isSpeaking = levels.has(p);
      p.audioLevel = levels.get(p) || 0;
    }
    this.activeSpeakers = speakers;
    this._emit('speakers', { speakers: list || [] });
    this._fire('activeSpeakersChanged', { speakers: [...speakers] });
  }

  // The server's connection quality levels that changed: each
  // participant's connectionQuality and the event. A level for a participant
  // not announced yet is kept for when it is.
  _handleQuality(list) {
    for (const q of Array.isArray(list) ? list : []) {
      if (!q || !CONNECTION_QUALITIES.includes(q.quality)) continue;
      this._qualities.set(q.participantId, q);
      const p = q.participantId === this.participantId ? this.localParticipant : this._bySid.get(q.participantId);
      if (p) this._applyQuality(p, q);
    }
  }

  _applyQuality(p, q) {
    p.connectionQualityScore = Number(q.score) || 0;
    if (p.connectionQuality === q.quality) return;
    p.connectionQuality = q.quality;
    this._fire('connectionQualityChanged', { quality: q.quality, participant: p });
  }

  // ---- data and attributes ---------------------------------------------------

  // Sends a data message: on the data channel when it is open, else on the
  // signaling socket (docs/protocol.md, "Data").
  _publishData(payload, { reliable, topic, destinationIdentities }) {
    const channel = this._dataChannels?.[reliable ? 'reliable' : 'lossy'];
    const to = destinationIdentities && destinationIdentities.length ? [...destinationIdentities].map(String) : undefined;
    if (channel && channel.readyState === 'open') {
      channel.send(encodeDataFrame({ topic: topic || undefined, to }, payload));
      return;
    }
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) {
      throw new SwitchboardError('not-connected', 'the room is not connected');
    }
    this._send({ type: 'data', payload: bytesToBase64(payload), topic: topic || undefined, lossy: !reliable || undefined, destinationIdentities: to });
  }

  _onDataFrame(data) {
    let frame;
    try {
      frame = decodeDataFrame(new Uint8Array(data));
    } catch (err) {
      this._log('warn', `switchboard: bad data frame from the server: ${err.message}`);
      return;
    }
    this._receiveData(frame.header.fromId, frame.payload, frame.header.topic);
  }

  // A data message from participantId (the server stamps who sent it).
  _receiveData(participantId, payload, topic) {
    const participant = this._bySid.get(participantId);
    this._fire('dataReceived', { payload, participant, topic: topic || undefined });
  }

  // Attributes that changed: a remote participant's or this one's (the
  // server echoes our own). An empty value is a key removed.
  _handleAttributes({ participantId, attributes }) {
    const participant = participantId === this.participantId ? this.localParticipant : this._bySid.get(participantId);
    if (!participant || !attributes || typeof attributes !== 'object') return;
    const changed = {};
    for (const [k, v] of Object.entries(attributes)) {
      changed[k] = String(v ?? '');
      if (changed[k] === '') delete participant.attributes[k];
      else participant.attributes[k] = changed[k];
    }
    this._fire('participantAttributesChanged', { changedAttributes: changed, participant });
  }

  _handleParticipantJoined(p) {
    if (!p || p.id === this.participantId) return;
    const participant = this._addParticipant(p);
    this._emit('participant-joined', { participant });
    this._fire('participantConnected', { participant: this._bySid.get(p.id) });
  }

  _handleParticipantLeft(participantId) {
    const participant = this.participants.get(participantId);
    for (const [trackId, remote] of this._remote) {
      if (remote.participantId === participantId) this._removeRemote(trackId, true);
    }
    if (participant) for (const trackId of participant.tracks.keys()) this._gone.add(trackId);
    this.participants.delete(participantId);
    this._emit('participant-left', { participantId, participant });
    const remote = this._bySid.get(participantId);
    if (!remote) return;
    for (const publication of [...remote.trackPublications.values()]) {
      remote.trackPublications.delete(publication.trackSid);
      this._fire('trackUnpublished', { publication, participant: remote });
    }
    this._bySid.delete(participantId);
    // The same identity may have joined again already (a new session
    // replaces the old one, which leaves after): keep the newer.
    if (this.remoteParticipants.get(remote.identity) === remote) this.remoteParticipants.delete(remote.identity);
    this._fire('participantDisconnected', { participant: remote });
  }

  _handleTrackPublished(info) {
    if (!info) return;
    let participant = this.participants.get(info.participantId);
    if (!participant) participant = this._addParticipant({ id: info.participantId, name: '', tracks: [] });
    const known = this._remote.get(info.id);
    const merged = { ...info };
    participant.tracks.set(info.id, merged);
    this._gone.delete(info.id);
    if (known) known.info = merged;
    const remote = this._remoteParticipant(info.participantId);
    const publication = remote._publish(merged);
    this._emit('track-published', { participantId: info.participantId, trackId: info.id, info: merged });
    this._fire('trackPublished', { publication, participant: remote });
  }

  _handleTrackUnpublished(participantId, trackId) {
    this._gone.add(trackId);
    this._removeRemote(trackId, true);
    this.participants.get(participantId)?.tracks.delete(trackId);
    const remote = this._bySid.get(participantId);
    const publication = remote?.trackPublications.get(trackId);
    if (!publication) return;
    remote.trackPublications.delete(trackId);
    this._fire('trackUnpublished', { publication, participant: remote });
  }

  _handleMute({ participantId, trackId, muted }) {
    const info = this.participants.get(participantId)?.tracks.get(trackId);
    if (info) info.muted = Boolean(muted);
    this._emit('mute', { participantId, trackId, info, muted: Boolean(muted) });
    const remote = this._bySid.get(participantId);
    const publication = remote?.trackPublications.get(trackId);
    if (!publication) return;
    publication._muted = Boolean(muted);
    this._fire(muted ? 'trackMuted' : 'trackUnmuted', { publication, participant: remote });
    // A muted camera's tile may now be hidden: tell the server.
    publication.track?.updateVisibility();
  }

  _trackInfo(trackId, track, stream) {
    for (const p of this.participants.values()) {
      const info = p.tracks.get(trackId);
      if (info) return info;
    }
    // The offer overtook the announcement: guess from the stream id, which is
    // the publisher's participant id (plus "-screen" for a screen share).
    const streamId = stream?.id || '';
    const screen = streamId.endsWith('-screen');
    return {
      id: trackId,
      participantId: screen ? streamId.slice(0, -'-screen'.length) : streamId,
      kind: track.kind,
      source: screen ? 'screen' : track.kind === 'audio' ? 'microphone' : 'camera',
      muted: false,
    };
  }

  _addRemote(mid, trackId, track, stream) {
    if (this._gone.has(trackId)) return;
    const known = this._remote.get(trackId);
    if (known && known.mid === mid && known.track === track) return;
    if (known) this._removeRemote(trackId, false);
    const info = this._trackInfo(trackId, track, stream);
    const remote = { participantId: info.participantId, trackId, info, track, stream: stream || new MediaStream([track]), mid };
    this._remote.set(trackId, remote);
    // The server holds settings per transceiver it sends on: a track that
    // arrives (again) is told them (again).
    const st = this._settings.get(trackId);
    if (st) {
      st.sent = null;
      if (!st.timer) this._flushSettings(trackId);
    }
    this._emit('track', { ...remote });
    const participant = this._remoteParticipant(info.participantId);
    const publication = participant.trackPublications.get(trackId) || participant._publish(info);
    const remoteTrack = new RemoteTrack(this, publication, remote.track, remote.stream);
    publication.track = remoteTrack;
    remote.remoteTrack = remoteTrack;
    this._fire('trackSubscribed', { track: remoteTrack, publication, participant });
  }

  _removeRemote(trackId, gone) {
    const remote = this._remote.get(trackId);
    if (gone) {
      this._gone.add(trackId);
      clearTimeout(this._settings.get(trackId)?.timer);
      this._settings.delete(trackId);
    }
    if (!remote) return;
    this._remote.delete(trackId);
    this._emit('track-removed', { participantId: remote.participantId, trackId, info: remote.info, track: remote.track });
    const track = remote.remoteTrack;
    const participant = this._bySid.get(remote.participantId);
    const publication = track?.publication;
    if (!track) return;
    if (publication.track === track) publication.track = null;
    if (participant) this._fire('trackUnsubscribed', { track, publication, participant });
    track.detach(); // the elements it was attached to play nothing now
  }

  // After a negotiation, the server's trackIds name exactly the tracks it
  // sends: drop the ones it stopped sending and pick up transceivers that it
  // reused for another track (ontrack does not fire again for those).
  _syncRemoteTracks() {
    for (const [trackId, remote] of this._remote) {
      if (this._trackIds.get(remote.mid) !== trackId) this._removeRemote(trackId, false);
    }
    for (const transceiver of this.pc.getTransceivers()) {
      const mid = transceiver.mid;
      const trackId = mid !== null && this._trackIds.get(mid);
      if (!trackId || this._remote.has(trackId) || this._gone.has(trackId)) continue;
      const dir = transceiver.currentDirection;
      if (dir !== 'recvonly' && dir !== 'sendrecv') continue;
      this._addRemote(mid, trackId, transceiver.receiver.track, undefined);
    }
  }

  // ---- helpers -------------------------------------------------------------

  _localStream(source, given) {
    if (given) return given;
    const key = source === 'screen' ? 'screen' : 'main';
    let stream = this._localStreams.get(key);
    if (!stream) {
      stream = new MediaStream();
      this._localStreams.set(key, stream);
    }
    return stream;
  }

  // Offers on this transceiver only the header extensions the server uses
  // (see SFU_HEADER_EXTENSIONS), where the browser lets us choose.
  _limitHeaderExtensions(transceiver) {
    if (typeof transceiver.setHeaderExtensionsToNegotiate !== 'function') return;
    const keep = this._serverExtensions;
    const all = transceiver.getHeaderExtensionsToNegotiate();
    const limited = all.map((e) => (keep.has(e.uri) || e.direction === 'stopped' ? e : { ...e, direction: 'stopped' }));
    try {
      transceiver.setHeaderExtensionsToNegotiate(limited);
    } catch (err) {
      this._log('debug', 'switchboard: cannot limit header extensions:', err.message);
    }
  }

  // Remembers which header extensions the server put in a description.
  _learnExtensions(sdp) {
    const uris = new Set();
    for (const m of sdp.matchAll(/^a=extmap:\d+(?:\/\w+)? (\S+)/gm)) uris.add(m[1]);
    if (uris.size) this._serverExtensions = new Set([...uris, 'urn:ietf:params:rtp-hdrext:sdes:mid', ...RID_EXTENSIONS]);
  }

  // Resolves when check() holds after a negotiation, rejects when the room closes.
  _waitNegotiated(check) {
    return new Promise((resolve, reject) => {
      this._waiters.add({ check, resolve, reject });
      this._checkWaiters();
    });
  }

  _checkWaiters() {
    if (!this.pc || this.pc.signalingState !== 'stable') return;
    for (const w of this._waiters) {
      if (!w.check()) continue;
      this._waiters.delete(w);
      w.resolve();
    }
  }

  // Emits an event of the lower-level API: a CustomEvent with detail, and
  // detail to the room.on() listeners of that name.
  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
    if (type !== 'disconnected') this._call(type, [detail]); // on('disconnected') gets the reason alone
  }

  // Emits an event of the LiveKit-style API: the values of args, in their
  // order, to the room.on() listeners, and args as a CustomEvent's detail.
  _fire(type, args) {
    this._call(type, Object.values(args));
    if (type !== 'disconnected') this.dispatchEvent(new CustomEvent(type, { detail: args }));
  }

  _call(type, args) {
    for (const fn of [...(this._listeners.get(type) || [])]) {
      try {
        fn.apply(this, args);
      } catch (err) {
        // A listener's bug must not break the session (EventTarget does the same).
        if (typeof globalThis.reportError === 'function') globalThis.reportError(err);
        else this._log('error', `switchboard: a ${type} listener threw:`, err);
      }
    }
  }

  _disconnect(detail) {
    if (this.closed) return;
    this._teardown();
    this._abandonRejoin?.();
    for (const trackId of [...this._remote.keys()]) this._removeRemote(trackId, true);
    for (const w of this._waiters) w.reject(new Error('the room closed before the track was negotiated'));
    this._waiters.clear();
    this.localParticipant._closed();
    this._emit('disconnected', detail);
    this._fire('disconnected', { reason: detail.reason });
  }

  _teardown() {
    this.closed = true;
    this._migrating = false;
    this._resuming = false;
    clearTimeout(this._resumeTimer);
    clearTimeout(this._iceTimer);
    globalThis.removeEventListener?.('pagehide', this._onPageHide);
    clearTimeout(this._holdTimer);
    clearTimeout(this._joinTimer);
    for (const st of this._settings.values()) clearTimeout(st.timer);
    this._settings.clear();
    this._closePeerConnection();
    this._dropSocket(this.ws);
  }

  // Closes the RTCPeerConnection, none of whose events matter any more. It
  // stays as room.pc (closed) until a new one replaces it.
  _closePeerConnection() {
    const pc = this.pc;
    if (!pc) return;
    for (const dc of Object.values(this._dataChannels || {})) dc.onmessage = null;
    this._dataChannels = null;
    pc.onnegotiationneeded = pc.onicecandidate = pc.ontrack = null;
    pc.onconnectionstatechange = pc.onsignalingstatechange = pc.onicegatheringstatechange = null;
    pc.oniceconnectionstatechange = null;
    pc.close();
  }
}

// ---- participants, publications and tracks (LiveKit's model) ---------------

// What setCameraEnabled() and setMicrophoneEnabled() ask the browser for.
const CAPTURE_DEFAULTS = Object.freeze({
  camera: Object.freeze({ width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } }),
  microphone: Object.freeze({ echoCancellation: true, noiseSuppression: true, autoGainControl: true }),
  screen: Object.freeze({ frameRate: { ideal: 15, max: 30 } }),
});

/**
 * Opens the camera, the microphone or (getDisplayMedia) a screen.
 * @param {'camera'|'microphone'|'screen'} source
 * @param {MediaTrackConstraints} [constraints] in place of CAPTURE_DEFAULTS
 * @returns {Promise<MediaStreamTrack>}
 */
async function capture(source, constraints) {
  const devices = globalThis.navigator?.mediaDevices;
  if (source === 'screen') {
    if (!devices?.getDisplayMedia) throw new SwitchboardError('not-supported', 'this browser cannot share a screen');
    const stream = await devices.getDisplayMedia({ video: constraints || CAPTURE_DEFAULTS.screen, audio: false });
    stream.getAudioTracks().forEach((t) => t.stop());
    const track = stream.getVideoTracks()[0];
    if (!track) throw new SwitchboardError('not-supported', 'the browser gave no video of the screen');
    return track;
  }
  if (!devices?.getUserMedia) {
    throw new SwitchboardError('not-supported', 'no camera or microphone: the browser allows them only on https:// or localhost');
  }
  const kind = source === 'camera' ? 'video' : 'audio';
  const stream = await devices.getUserMedia({ [kind]: constraints || CAPTURE_DEFAULTS[source] });
  return stream.getTracks()[0];
}

// Plays a media element; a sound the autoplay policy blocks is reported to
// the room (canPlaybackAudio, audioPlaybackChanged).
function play(room, element, kind) {
  const p = element.play?.();
  p?.catch?.((err) => {
    if (err?.name === 'NotAllowedError' && kind === 'audio') room._setAudioPlayback(false);
  });
}

/** A participant of a room: the local one or a remote one. */
export class Participant {
  /** @param {Room} room @param {string} sid @param {string} identity @param {string} name */
  constructor(room, sid, identity, name) {
    this._room = room;
    /** The participant id the server gave (participantId). */
    this.sid = sid;
    /** Who the participant is in the application: the token's `sub` (see RemoteParticipant). */
    this.identity = identity;
    /** The display name. */
    this.name = name;
    /**
     * Small key/value metadata everyone in the room sees (setAttributes()).
     * @type {Record<string, string>}
     */
    this.attributes = {};
    /**
     * The participant's tracks, by track sid.
     * @type {Map<string, TrackPublication>}
     */
    this.trackPublications = new Map();
    /** Whether the server counts the participant among who is speaking now. */
    this.isSpeaking = false;
    /** Its audio level from 0 (-60 dBov or quieter) to 1, while it speaks; 0 otherwise. */
    this.audioLevel = 0;
    /**
     * Its connection as the server scores it, from `quality` messages:
     * `'excellent'`, `'good'`, `'poor'`, `'lost'`, or `'unknown'` before the
     * first (see docs/protocol.md).
     * @type {'excellent'|'good'|'poor'|'lost'|'unknown'}
     */
    this.connectionQuality = 'unknown';
    /** The score behind connectionQuality: a MOS from 1 to 5, 0 when lost or unknown. */
    this.connectionQualityScore = 0;
  }

  /** Whether this is the local participant. */
  get isLocal() {
    return false;
  }

  /** @returns {Map<string, TrackPublication>} the video tracks */
  get videoTrackPublications() {
    return new Map([...this.trackPublications].filter(([, p]) => p.kind === 'video'));
  }

  /** @returns {Map<string, TrackPublication>} the audio tracks */
  get audioTrackPublications() {
    return new Map([...this.trackPublications].filter(([, p]) => p.kind === 'audio'));
  }

  /**
   * The publication of a source, if the participant publishes one.
   * @param {'camera'|'microphone'|'screen'} source
   * @returns {TrackPublication|undefined}
   */
  getTrackPublication(source) {
    for (const p of this.trackPublications.values()) if (p.source === source) return p;
    return undefined;
  }

  /** A camera is published and not muted. */
  get isCameraEnabled() {
    return this._enabled('camera');
  }

  /** A microphone is published and not muted. */
  get isMicrophoneEnabled() {
    return this._enabled('microphone');
  }

  /** A screen is shared. */
  get isScreenShareEnabled() {
    return this._enabled('screen');
  }

  _enabled(source) {
    const p = this.getTrackPublication(source);
    return Boolean(p && !p.isMuted);
  }
}

/** A track a participant publishes, whether or not it is received. */
export class TrackPublication {
  /** @param {string} trackSid @param {'audio'|'video'} kind @param {string} source */
  constructor(trackSid, kind, source) {
    /** The track's id: the server's for a remote track, the transceiver's mid for a local one. */
    this.trackSid = trackSid;
    /** `'audio'` or `'video'`. */
    this.kind = kind;
    /** `'camera'`, `'microphone'` or `'screen'`. */
    this.source = source;
    /** @type {RemoteTrack|LocalTrack|null} the track, while it is received (remote) or published (local) */
    this.track = null;
  }

  /** Whether the publisher muted it: a muted track sends black frames or silence. */
  get isMuted() {
    return false;
  }
}

/** A track another participant publishes. */
export class RemoteTrackPublication extends TrackPublication {
  /** @param {{id: string, kind: string, source: string, muted?: boolean}} info */
  constructor(info) {
    super(info.id, info.kind, info.source);
    this._muted = Boolean(info.muted);
  }

  get isMuted() {
    return this._muted;
  }

  /** Whether the track is received (its `track` is set). */
  get isSubscribed() {
    return this.track !== null;
  }

  _update(info) {
    this.kind = info.kind || this.kind;
    this.source = info.source || this.source;
    this._muted = Boolean(info.muted);
  }
}

/** Another participant of the room. */
export class RemoteParticipant extends Participant {
  /**
   * `identity` is the participant id until the server names it (it does in
   * `joined` and `participant-joined`).
   * @param {Room} room @param {string} sid
   */
  constructor(room, sid) {
    super(room, sid, sid, '');
  }

  // The publication of a track the server announced, made or updated.
  _publish(info) {
    let publication = this.trackPublications.get(info.id);
    if (publication) publication._update(info);
    else this.trackPublications.set(info.id, (publication = new RemoteTrackPublication(info)));
    return publication;
  }
}

/**
 * A track received from another participant. attach() shows it; for video
 * the server is then told the size and visibility of the elements that show
 * it and sends the simulcast layer that fits (adaptive stream), nothing
 * while none of them is visible.
 */
export class RemoteTrack {
  /**
   * @param {Room} room @param {RemoteTrackPublication} publication
   * @param {MediaStreamTrack} mediaStreamTrack @param {MediaStream} mediaStream
   */
  constructor(room, publication, mediaStreamTrack, mediaStream) {
    this._room = room;
    /** The publication this track belongs to. */
    this.publication = publication;
    /** The server's id of the track (trackId in the protocol). */
    this.sid = publication.trackSid;
    /** `'audio'` or `'video'`. */
    this.kind = mediaStreamTrack.kind;
    /** `'camera'`, `'microphone'` or `'screen'`. */
    this.source = publication.source;
    /** The browser's track. */
    this.mediaStreamTrack = mediaStreamTrack;
    /** The stream it arrived in (camera and microphone of one participant share one, kept in sync). */
    this.mediaStream = mediaStream;
    this._watchers = new Map(); // element → watchElement() handle (null for audio)
    this._views = new Map(); // element → {width, height, paused}
  }

  /** Whether the publisher muted it. */
  get isMuted() {
    return this.publication.isMuted;
  }

  /** The elements it is attached to. @returns {HTMLMediaElement[]} */
  get attachedElements() {
    return [...this._watchers.keys()];
  }

  /**
   * Plays the track in element, or in a new `<video>` (`<audio>` for audio)
   * element, and returns the element. A video element is muted and plays
   * inline; its size and visibility are reported to the server.
   * @param {HTMLMediaElement} [element]
   * @returns {HTMLMediaElement}
   */
  attach(element) {
    if (!element) element = document.createElement(this.kind === 'video' ? 'video' : 'audio');
    if (this._watchers.has(element)) return element;
    element.autoplay = true;
    if (this.kind === 'video') {
      element.playsInline = true;
      element.muted = true;
    }
    element.srcObject = new MediaStream([this.mediaStreamTrack]);
    let watcher = null;
    if (this.kind === 'video') {
      watcher = watchElement(element, (view) => {
        this._views.set(element, view);
        this._sendSettings();
      });
    }
    this._watchers.set(element, watcher);
    play(this._room, element, this.kind);
    return element;
  }

  /**
   * Stops playing the track in element, or in every element it is attached
   * to, and returns that element (or those elements). Elements stay in the
   * document. A video attached nowhere any more is paused at the server.
   * @param {HTMLMediaElement} [element]
   * @returns {HTMLMediaElement|HTMLMediaElement[]}
   */
  detach(element) {
    if (element) {
      this._detach(element);
      this._sendSettings();
      return element;
    }
    const all = this.attachedElements;
    all.forEach((el) => this._detach(el));
    this._sendSettings();
    return all;
  }

  /**
   * Checks again whether the attached elements are visible, after a change
   * the observers cannot see (a class that sets `visibility: hidden`).
   * The room does this itself after trackMuted and trackUnmuted.
   */
  updateVisibility() {
    for (const watcher of this._watchers.values()) watcher?.update();
  }

  _detach(element) {
    if (!this._watchers.has(element)) return;
    this._watchers.get(element)?.stop();
    this._watchers.delete(element);
    this._views.delete(element);
    if (element.srcObject?.getTracks?.().includes(this.mediaStreamTrack)) element.srcObject = null;
  }

  // Tells the server the largest size the track is shown at among its
  // visible elements, or paused when it is visible in none (attached
  // nowhere: paused too, once it had been attached).
  _sendSettings() {
    if (this.kind !== 'video' || this._room.closed || !this._room._remote.has(this.sid)) return;
    let width = 0;
    let height = 0;
    let visible = false;
    for (const v of this._views.values()) {
      if (v.paused) continue;
      visible = true;
      width = Math.max(width, v.width);
      height = Math.max(height, v.height);
    }
    // Never attached: the server's default stands.
    if (!visible && this._views.size === 0 && !this._room._settings.has(this.sid)) return;
    this._room.setTrackSettings(this.sid, { width, height, paused: !visible });
  }
}

/** A track this participant publishes. */
export class LocalTrack {
  /** @param {LocalParticipant} participant @param {MediaStreamTrack} mediaStreamTrack @param {string} source */
  constructor(participant, mediaStreamTrack, source) {
    this._participant = participant;
    /** The transceiver's mid once negotiated, else ''. */
    this.sid = '';
    /** `'audio'` or `'video'`. */
    this.kind = mediaStreamTrack.kind;
    /** `'camera'`, `'microphone'` or `'screen'`. */
    this.source = source;
    /** The browser's track being sent. */
    this.mediaStreamTrack = mediaStreamTrack;
    /** @type {LocalTrackPublication|null} */
    this.publication = null;
    this._elements = new Set();
    this._onEnded = null;
  }

  /** Whether it is muted: sending black frames or silence, the others told. */
  get isMuted() {
    return this._participant._room.isMuted(this.mediaStreamTrack);
  }

  /** The elements it is attached to. @returns {HTMLMediaElement[]} */
  get attachedElements() {
    return [...this._elements];
  }

  /** Mutes it (the others are told: trackMuted). */
  async mute() {
    this._setMuted(true);
  }

  /** Unmutes it (trackUnmuted). */
  async unmute() {
    this._setMuted(false);
  }

  _setMuted(muted) {
    const room = this._participant._room;
    if (this.isMuted === muted) return;
    room.setMuted(this.mediaStreamTrack, muted);
    if (this.publication?.trackSid) room._fire(muted ? 'trackMuted' : 'trackUnmuted', { publication: this.publication, participant: this._participant });
  }

  /**
   * Sends another browser track in its place (another camera or
   * microphone) with no renegotiation; the mute state carries over, the old
   * track is not stopped.
   * @param {MediaStreamTrack} track
   */
  async replaceTrack(track) {
    await this._participant._room.replaceTrack(this.mediaStreamTrack, track);
    const ended = this._onEnded;
    this._watchEnded(null);
    const old = this.mediaStreamTrack;
    this.mediaStreamTrack = track;
    this._watchEnded(ended);
    for (const el of this._elements) {
      if (el.srcObject?.getTracks?.().includes(old)) el.srcObject = new MediaStream([track]);
    }
  }

  /**
   * Shows the track in element or a new `<video>`/`<audio>` element, always
   * muted (never play one's own microphone back). Returns the element.
   * @param {HTMLMediaElement} [element]
   * @returns {HTMLMediaElement}
   */
  attach(element) {
    if (!element) element = document.createElement(this.kind === 'video' ? 'video' : 'audio');
    element.autoplay = true;
    element.muted = true;
    if (this.kind === 'video') element.playsInline = true;
    element.srcObject = new MediaStream([this.mediaStreamTrack]);
    this._elements.add(element);
    play(this._participant._room, element, 'video');
    return element;
  }

  /**
   * Stops showing it in element, or in all its elements.
   * @param {HTMLMediaElement} [element]
   * @returns {HTMLMediaElement|HTMLMediaElement[]}
   */
  detach(element) {
    const list = element ? [element] : this.attachedElements;
    for (const el of list) {
      this._elements.delete(el);
      if (el.srcObject?.getTracks?.().includes(this.mediaStreamTrack)) el.srcObject = null;
    }
    return element || list;
  }

  /** Stops the browser's track (camera light off). */
  stop() {
    this.mediaStreamTrack.stop();
  }

  // Calls fn when the browser's track ends (the browser's own "Stop sharing").
  _watchEnded(fn) {
    if (this._onEnded) this.mediaStreamTrack.removeEventListener('ended', this._onEnded);
    this._onEnded = fn;
    if (fn) this.mediaStreamTrack.addEventListener('ended', fn);
  }
}

/** A track this participant publishes, as LiveKit's LocalTrackPublication. */
export class LocalTrackPublication extends TrackPublication {
  /** @param {LocalTrack} track */
  constructor(track) {
    super('', track.kind, track.source);
    /** @type {LocalTrack} */
    this.track = track;
    track.publication = this;
  }

  get isMuted() {
    return this.track.isMuted;
  }

  /** Mutes the track. */
  mute() {
    return this.track.mute();
  }

  /** Unmutes the track. */
  unmute() {
    return this.track.unmute();
  }
}

/**
 * This participant: what it publishes, and the switches for camera,
 * microphone and screen share.
 */
export class LocalParticipant extends Participant {
  /** @param {Room} room @param {string} identity @param {string} name */
  constructor(room, identity, name) {
    super(room, '', identity, name);
    this._publications = new Set(); // every LocalTrackPublication, pending ones too
    this._owned = new Set(); // tracks this module captured, stopped when unpublished or on leaving
    this._busy = new Map(); // source → the promise of the last switch of that source
  }

  get isLocal() {
    return true;
  }

  /** What the server lets this participant publish and receive. */
  get permissions() {
    return { ...this._room.permissions };
  }

  /**
   * The publication of a source, negotiated or on its way.
   * @param {'camera'|'microphone'|'screen'} source
   * @returns {LocalTrackPublication|undefined}
   */
  getTrackPublication(source) {
    for (const p of this._publications) if (p.source === source) return p;
    return undefined;
  }

  /**
   * Publishes a browser track (as Room.publish: camera video as simulcast)
   * and resolves with its publication once the server has accepted it;
   * `localTrackPublished` is emitted then. A screen share whose track ends
   * (the browser's own "Stop sharing") is unpublished.
   * @param {MediaStreamTrack|LocalTrack} track
   * @param {{source?: 'camera'|'microphone'|'screen', muted?: boolean, simulcast?: boolean,
   *          encodings?: RTCRtpEncodingParameters[]}} [options]
   * @returns {Promise<LocalTrackPublication>}
   */
  async publishTrack(track, options = {}) {
    if (track instanceof LocalTrack) track = track.mediaStreamTrack;
    const source = options.source || (track.kind === 'audio' ? 'microphone' : 'camera');
    if (source === 'screen' && 'contentHint' in track && !track.contentHint) {
      track.contentHint = 'detail'; // text stays sharp: the encoder lowers the frame rate, not the resolution
    }
    const local = new LocalTrack(this, track, source);
    const publication = new LocalTrackPublication(local);
    this._publications.add(publication);
    if (source === 'screen') local._watchEnded(() => this.unpublishTrack(local).catch(() => {}));
    let transceiver;
    try {
      transceiver = await this._room.publish(track, { ...options, source });
    } catch (err) {
      this._publications.delete(publication);
      local._watchEnded(null);
      throw err;
    }
    if (!this._publications.has(publication)) return publication; // unpublished meanwhile
    publication.trackSid = local.sid = transceiver.mid;
    this.trackPublications.set(publication.trackSid, publication);
    this._room._fire('localTrackPublished', { publication, participant: this });
    return publication;
  }

  /**
   * Stops publishing a track; `localTrackUnpublished` follows. The browser's
   * track is stopped unless stopOnUnpublish is false.
   * @param {MediaStreamTrack|LocalTrack} track
   * @param {boolean} [stopOnUnpublish]
   * @returns {Promise<LocalTrackPublication|undefined>}
   */
  async unpublishTrack(track, stopOnUnpublish = true) {
    const publication = [...this._publications].find((p) => p.track === track || p.track.mediaStreamTrack === track);
    if (!publication) return undefined;
    const local = publication.track;
    this._publications.delete(publication);
    this.trackPublications.delete(publication.trackSid);
    local._watchEnded(null);
    this._owned.delete(local.mediaStreamTrack);
    const done = this._room.unpublish(local.mediaStreamTrack);
    if (stopOnUnpublish) local.stop();
    local.detach();
    await done;
    if (publication.trackSid) this._room._fire('localTrackUnpublished', { publication, participant: this });
    return publication;
  }

  /**
   * Turns the camera on (publishing it the first time: a getUserMedia
   * prompt, with constraints if given) or off (muted: black frames, the
   * others told).
   * @param {boolean} enabled
   * @param {MediaTrackConstraints} [constraints]
   * @returns {Promise<LocalTrackPublication|undefined>}
   */
  setCameraEnabled(enabled, constraints) {
    return this._setSourceEnabled('camera', enabled, constraints);
  }

  /**
   * Turns the microphone on (publishing it the first time) or off (muted).
   * @param {boolean} enabled
   * @param {MediaTrackConstraints} [constraints]
   * @returns {Promise<LocalTrackPublication|undefined>}
   */
  setMicrophoneEnabled(enabled, constraints) {
    return this._setSourceEnabled('microphone', enabled, constraints);
  }

  /**
   * Shares a screen, window or tab (getDisplayMedia: the browser asks which),
   * or stops sharing it (unpublished and stopped). A choice refused in the
   * browser's picker rejects with its NotAllowedError.
   * @param {boolean} enabled
   * @param {MediaTrackConstraints} [constraints] video constraints for getDisplayMedia
   * @returns {Promise<LocalTrackPublication|undefined>}
   */
  setScreenShareEnabled(enabled, constraints) {
    return this._setSourceEnabled('screen', enabled, constraints);
  }

  /**
   * Publishes camera and microphone (one getUserMedia prompt for both) or
   * unmutes them where they are published already.
   * @returns {Promise<void>}
   */
  enableCameraAndMicrophone() {
    return this._serial(['camera', 'microphone'], async () => {
      const missing = ['camera', 'microphone'].filter((s) => !this.getTrackPublication(s));
      missing.forEach((s) => this._checkPermission(s));
      let tracks = [];
      if (missing.length === 2) {
        if (!globalThis.navigator?.mediaDevices?.getUserMedia) await capture('camera'); // throws the reason
        const stream = await navigator.mediaDevices.getUserMedia({ video: CAPTURE_DEFAULTS.camera, audio: CAPTURE_DEFAULTS.microphone });
        tracks = stream.getTracks();
      } else if (missing.length === 1) {
        tracks = [await capture(missing[0])];
      }
      await Promise.all(tracks.map((t) => this._publishOwned(t, t.kind === 'video' ? 'camera' : 'microphone')));
      for (const source of ['camera', 'microphone']) await this.getTrackPublication(source)?.unmute();
    });
  }

  /**
   * Sends data to everyone else in the room, or to the identities named: on
   * the reliable (ordered) or the lossy data channel, or on the signaling
   * socket while the channel is not open. Receivers get `dataReceived`
   * with this participant as the sender, stamped by the server. What the
   * server refuses (over 15 KiB reliable or 1.3 KiB lossy, or too fast) is
   * dropped and comes back as an `error` event (code `data-too-large` or
   * `rate-limited`) to this room alone.
   * @param {Uint8Array|ArrayBuffer|string} data a string is sent as UTF-8
   * @param {{reliable?: boolean, topic?: string, destinationIdentities?: string[]}} [options]
   * @returns {Promise<void>} once sent
   */
  async publishData(data, { reliable = true, topic, destinationIdentities } = {}) {
    this._room._publishData(toBytes(data), { reliable, topic, destinationIdentities });
  }

  /**
   * Changes this participant's attributes (an empty string removes a key);
   * everyone in the room sees them (`participantAttributesChanged`, and
   * `participant.attributes`). Values are strings; at most 16 keys and 1 KiB
   * in all: past it the server changes nothing and sends an `error` event
   * (code `invalid-attributes`).
   * @param {Record<string, string>} attributes
   * @returns {Promise<void>} once sent
   */
  async setAttributes(attributes) {
    if (!attributes || typeof attributes !== 'object') throw new TypeError('setAttributes: pass an object of strings');
    const changed = {};
    for (const [k, v] of Object.entries(attributes)) {
      if (typeof v !== 'string') throw new TypeError(`setAttributes: the value of ${k} is not a string`);
      changed[k] = v;
    }
    this._room._checkOpen();
    this._room._send({ type: 'attributes', attributes: changed });
  }

  _setSourceEnabled(source, enabled, constraints) {
    return this._serial([source], async () => {
      const publication = this.getTrackPublication(source);
      if (enabled) {
        if (publication) {
          await publication.unmute();
          return publication;
        }
        this._checkPermission(source);
        return this._publishOwned(await capture(source, constraints), source);
      }
      if (!publication) return undefined;
      if (source === 'screen') await this.unpublishTrack(publication.track);
      else await publication.mute();
      return publication;
    });
  }

  // Publishes a track this module captured: stopped if publishing fails.
  async _publishOwned(track, source) {
    this._owned.add(track);
    try {
      return await this.publishTrack(track, { source });
    } catch (err) {
      this._owned.delete(track);
      track.stop();
      throw err;
    }
  }

  // Runs fn after the switches of these sources that are under way.
  _serial(sources, fn) {
    const before = Promise.all(sources.map((s) => this._busy.get(s)));
    const run = before.then(() => {
      if (this._room.closed) throw new Error('the room is closed');
      return fn();
    });
    const settled = run.catch(() => {});
    for (const s of sources) this._busy.set(s, settled);
    return run;
  }

  _checkPermission(source) {
    const allowed = source === 'screen' ? this._room.permissions.publishScreen : this._room.permissions.publish;
    if (!allowed) throw new SwitchboardError('unauthorized', `this participant may not publish a ${source}`);
  }

  // After a move to another server the track is sent on a new transceiver:
  // its publication's sid (the mid) follows.
  _moved(mid, mediaStreamTrack) {
    for (const p of this._publications) {
      if (p.track.mediaStreamTrack !== mediaStreamTrack || !p.trackSid || p.trackSid === mid) continue;
      this.trackPublications.delete(p.trackSid);
      p.trackSid = p.track.sid = mid;
      this.trackPublications.set(mid, p);
    }
  }

  // The room closed: the tracks this module captured are stopped.
  _closed() {
    for (const p of this._publications) p.track._watchEnded(null);
    for (const track of this._owned) track.stop();
    this._owned.clear();
  }
}

/**
 * Reports how element is shown: onChange({width, height, paused}) with its
 * size in device pixels (clientWidth and clientHeight ×
 * devicePixelRatio), paused while it is off-screen, the page is hidden, or
 * the element is hidden (display or visibility). Returns {update(), stop()}.
 */
function watchElement(element, onChange) {
  let onScreen = true; // until the IntersectionObserver says otherwise
  let stopped = false;
  const update = () => {
    if (stopped) return;
    const ratio = globalThis.devicePixelRatio || 1;
    const width = element.clientWidth * ratio;
    const height = element.clientHeight * ratio;
    const visible = element.isConnected && width > 0 && height > 0 && document.visibilityState !== 'hidden' &&
      (typeof element.checkVisibility !== 'function' || element.checkVisibility({ visibilityProperty: true }));
    onChange({ width, height, paused: !visible || !onScreen });
  };
  const resize = new ResizeObserver(update);
  const intersection = new IntersectionObserver((entries) => {
    onScreen = entries[entries.length - 1].isIntersecting;
    update();
  });
  resize.observe(element);
  intersection.observe(element);
  document.addEventListener('visibilitychange', update);
  update();
  return {
    update,
    stop: () => {
      if (stopped) return;
      stopped = true;
      resize.disconnect();
      intersection.disconnect();
      document.removeEventListener('visibilitychange', update);
    },
  };
}

/**
 * Renumbers the a=extmap lines of an SDP so that each id names one URI across
 * the whole session (as BUNDLE requires), keeping the ids of `negotiated`
 * (earlier descriptions) and otherwise the first id the SDP gives a URI.
 */
function fixExtmapIds(sdp, negotiated = '') {
  const extmap = /^a=extmap:(\d+)(\/\w+)? (\S+)(.*)$/;
  const idOf = new Map(); // uri → id
  const uriOf = new Map(); // id → uri
  const claim = (uri, id) => {
    if (idOf.has(uri) || uriOf.has(id)) return;
    idOf.set(uri, id);
    uriOf.set(id, uri);
  };
  for (const line of `${negotiated}\r\n${sdp}`.split(/\r?\n/)) {
    const m = extmap.exec(line);
    if (m) claim(m[3], Number(m[1]));
  }
  const freeId = () => {
    for (let id = 1; id <= 255; id++) if (id !== 15 && !uriOf.has(id)) return id;
    throw new Error('no free RTP header extension id');
  };
  const out = [];
  let inSection = new Set();
  for (const line of sdp.split('\r\n')) {
    if (line.startsWith('m=')) inSection = new Set();
    const m = extmap.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const [, , direction = '', uri, rest] = m;
    if (!idOf.has(uri)) claim(uri, freeId());
    if (inSection.has(uri)) continue;
    inSection.add(uri);
    out.push(`a=extmap:${idOf.get(uri)}${direction} ${uri}${rest}`);
  }
  return out.join('\r\n');
}

/**
 * Adds usedtx=1 to the Opus parameters of the audio sections of a remote
 * description on which the remote end receives (recvonly or sendrecv): that
 * is what makes the browser send Opus with DTX. The server asks for it in
 * the codecs it registers, but its answers repeat the parameters of the
 * browser's offer, which never has it.
 */
function withOpusDTX(sdp) {
  if (!sdp) return sdp;
  const [head, ...sections] = sdp.split(/\r\n(?=m=)/);
  const out = sections.map((section) => {
    const lines = section.split('\r\n');
    if (!lines[0].startsWith('m=audio') || !lines.some((l) => l === 'a=recvonly' || l === 'a=sendrecv')) return section;
    const opus = new Set();
    for (const l of lines) {
      const m = /^a=rtpmap:(\d+) opus\//i.exec(l);
      if (m) opus.add(m[1]);
    }
    const withFmtp = new Set();
    const result = lines.map((l) => {
      const m = /^a=fmtp:(\d+) (.*)$/.exec(l);
      if (!m || !opus.has(m[1])) return l;
      withFmtp.add(m[1]);
      if (/(^|;)\s*usedtx=/.test(m[2])) return l;
      return `a=fmtp:${m[1]} ${m[2]};usedtx=1`;
    });
    // An Opus payload type without parameters gets a line of its own.
    for (const pt of opus) {
      if (withFmtp.has(pt)) continue;
      const at = result.findIndex((l) => l.startsWith(`a=rtpmap:${pt} `));
      result.splice(at + 1, 0, `a=fmtp:${pt} usedtx=1`);
    }
    return result.join('\r\n');
  });
  return [head, ...out].join('\r\n');
}

// The lines of the m-section of sdp whose a=mid is mid, or ''.
function mediaSection(sdp, mid) {
  if (!sdp || mid === null || mid === undefined) return '';
  for (const section of sdp.split(/\r?\n(?=m=)/).slice(1)) {
    if (section.split(/\r?\n/).some((line) => line.trimEnd() === `a=mid:${mid}`)) return section;
  }
  return '';
}

// Whether a transceiver's last negotiation made it send.
function isSending(transceiver) {
  const dir = transceiver?.currentDirection;
  return dir === 'sendonly' || dir === 'sendrecv';
}

function iceUfrag(sdp) {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp || '')?.[1] || '';
}

// A one-line description of a message, for debug logs.
function summarize(msg) {
  switch (msg.type) {
    case 'offer':
    case 'answer': {
      const ufrag = iceUfrag(msg.sdp);
      const mids = [...(msg.sdp || '').matchAll(/^a=mid:(\S+)/gm)].map((m) => m[1]).join(',');
      const extra = msg.tracks ? ` tracks=${JSON.stringify(msg.tracks)}` : msg.trackIds ? ` trackIds=${JSON.stringify(msg.trackIds)}` : '';
      const setup = /a=setup:(\S+)/.exec(msg.sdp || '')?.[1];
      return `${msg.type} ufrag=${ufrag} setup=${setup} mids=${mids}${extra}`;
    }
    case 'candidate':
      return `candidate ${msg.candidate?.candidate} mid=${msg.candidate?.sdpMid}`;
    case 'data':
      return `data ${msg.payload?.length || 0} base64 chars topic=${msg.topic || ''} from=${msg.identity || ''}`;
    default:
      return JSON.stringify(msg);
  }
}

// The signaling WebSocket's URL from what connect() was given: a ws(s) URL
// as it is; an http(s) URL (the server's base URL, or its /ws) with /ws
// added to its path unless it ends in it, and the scheme made ws(s).
// ---- data frames (docs/protocol.md, "Data") --------------------------------

// The data channels: negotiated with ids agreed in advance (RFC 8831 §6.5),
// so they open with the SCTP association and need no signaling of their own.
function openDataChannels(pc, onFrame) {
  const reliable = pc.createDataChannel('_reliable', { negotiated: true, id: 0, ordered: true });
  const lossy = pc.createDataChannel('_lossy', { negotiated: true, id: 1, ordered: false, maxRetransmits: 0 });
  for (const dc of [reliable, lossy]) {
    dc.binaryType = 'arraybuffer';
    dc.onmessage = (ev) => onFrame(typeof ev.data === 'string' ? new TextEncoder().encode(ev.data) : ev.data);
  }
  return { reliable, lossy };
}

// A frame: version 1, the JSON header's length (2 bytes, big-endian), the
// header, then the payload.
function encodeDataFrame(header, payload) {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(3 + h.length + payload.length);
  out[0] = 1;
  out[1] = h.length >> 8;
  out[2] = h.length & 0xff;
  out.set(h, 3);
  out.set(payload, 3 + h.length);
  return out;
}

function decodeDataFrame(bytes) {
  if (bytes.length < 3 || bytes[0] !== 1) throw new Error('not a version 1 frame');
  const n = (bytes[1] << 8) | bytes[2];
  if (bytes.length < 3 + n) throw new Error('header past the end');
  const header = n ? JSON.parse(new TextDecoder().decode(bytes.subarray(3, 3 + n))) : {};
  return { header, payload: bytes.slice(3 + n) };
}

function toBytes(data) {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('publishData: pass a Uint8Array, an ArrayBuffer or a string');
}

function bytesToBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function base64ToBytes(b64) {
  const bin = atob(b64 || '');
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function wsURL(url) {
  const u = new URL(url, globalThis.location?.href);
  if (u.protocol === 'http:' || u.protocol === 'https:') {
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (!/\/ws$/.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/ws`;
  }
  return u.href;
}

function defaultLog(level, ...args) {
  const fn = { debug: console.debug, info: console.info, warn: console.warn, error: console.error }[level] || console.log;
  fn.call(console, ...args);
}
