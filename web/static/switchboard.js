// switchboard.js: the Switchboard signaling and media client, an ES module
// with no dependencies and no UI. It speaks protocol version 1 (see the
// README) over one WebSocket and carries all media over one RTCPeerConnection.
//
//   import { connect } from '/static/switchboard.js';
//   const room = await connect('/ws', { room: 'team-sync', name: 'Alice' });
//   room.addEventListener('track', (e) => attach(e.detail.participantId, e.detail.track));
//   await room.publish(cameraTrack, { source: 'camera' });
//   room.observeTrack(trackId, videoElement); // the server then sends the layer that fits
//
// Events (CustomEvent; the payload is in event.detail):
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
export const PROTOCOL_VERSION = 1;

const SOURCES = new Set(['camera', 'microphone', 'screen']);

/**
 * The simulcast layers a camera is published with by default: rids q, h and
 * f (a quarter, half and the full resolution of the capture), each with a
 * bitrate cap. The server forwards to each subscriber the one that fits its
 * link and the size of its tile.
 */
export const SIMULCAST_ENCODINGS = Object.freeze([
  Object.freeze({ rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150_000 }),
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
 * Connects to a Switchboard server and joins a room.
 * @param {string|URL} url WebSocket URL; a relative URL or an http(s) URL is resolved against the page.
 * @param {{room: string, name: string, token?: string, timeout?: number,
 *          rtcConfig?: RTCConfiguration, dtx?: boolean,
 *          log?: (level: string, ...args: any[]) => void}} options
 *   `dtx` (default true): send Opus with discontinuous transmission, a few
 *   packets a second instead of 50 while there is silence.
 * @returns {Promise<Room>} resolves once the server has answered `joined`.
 */
export async function connect(url, options = {}) {
  const room = new Room(url, options);
  await room._start();
  return room;
}

/** One session in one room. Create it with connect(). */
export class Room extends EventTarget {
  constructor(url, { room, name, token, timeout = 15000, rtcConfig = {}, dtx = true, log } = {}) {
    super();
    if (!room) throw new TypeError('connect: options.room is required');
    if (!name) throw new TypeError('connect: options.name is required');
    this.url = wsURL(url);
    this.roomName = room;
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
  }

  /** Opens the WebSocket, joins, and sets up the RTCPeerConnection. */
  _start() {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this._teardown();
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new SwitchboardError('timeout', 'the server did not answer in time')),
        this._timeout,
      );
      this._onJoined = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve();
      };
      this._onJoinFailed = fail;

      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (err) {
        fail(new SwitchboardError('connect-failed', `cannot open ${this.url}: ${err.message}`));
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        const join = { type: 'join', version: PROTOCOL_VERSION, room: this.roomName, name: this.name };
        if (this._token) join.token = this._token;
        this._send(join);
      };
      ws.onmessage = (ev) => this._onMessage(ev.data);
      ws.onerror = () => {}; // onclose follows and says more
      ws.onclose = (ev) => {
        if (!this.participantId) {
          fail(new SwitchboardError('connect-failed',
            `the connection to ${this.url} closed before joining (code ${ev.code})`));
          return;
        }
        this._disconnect({ reason: this._closeReason || 'connection lost', code: ev.code });
      };
    });
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
    this._checkOpen();
    if (this._published.has(track)) throw new Error('publish: this track is already published');
    const source = options.source || (track.kind === 'audio' ? 'microphone' : 'camera');
    if (!SOURCES.has(source)) throw new TypeError(`publish: unknown source ${source}`);
    const stream = this._localStream(source, options.stream);
    stream.addTrack(track);
    const muted = Boolean(options.muted);
    if (muted) track.enabled = false;
    const init = { direction: 'sendonly', streams: [stream] };
    const simulcast = options.simulcast ?? source === 'camera';
    if (options.encodings) {
      init.sendEncodings = options.encodings.map((e) => ({ ...e }));
    } else if (simulcast && track.kind === 'video') {
      init.sendEncodings = SIMULCAST_ENCODINGS.map((e) => ({ ...e }));
    }
    const transceiver = this.pc.addTransceiver(track, init);
    this._limitHeaderExtensions(transceiver);
    const rids = (init.sendEncodings || []).map((e) => e.rid).filter(Boolean);
    const entry = { transceiver, source, muted, stream, announced: false, offeredMuted: muted, rids };
    this._published.set(track, entry);
    // negotiationneeded fires now; wait until an answer has made it sendonly.
    await this._waitNegotiated(() => transceiver.currentDirection === 'sendonly' || transceiver.currentDirection === 'sendrecv');
    return transceiver;
  }

  /** Stops sending a published track. The track itself is not stopped. */
  async unpublish(track) {
    const entry = this._published.get(track);
    if (!entry) return;
    this._published.delete(track);
    entry.stream.removeTrack(track);
    if (this.closed) return;
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
    await entry.transceiver.sender.replaceTrack(newTrack);
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
    let onScreen = true; // until the IntersectionObserver says otherwise
    let stopped = false;
    const update = () => {
      if (stopped) return;
      const ratio = globalThis.devicePixelRatio || 1;
      const width = element.clientWidth * ratio;
      const height = element.clientHeight * ratio;
      const visible = element.isConnected && width > 0 && height > 0 && document.visibilityState !== 'hidden' &&
        (typeof element.checkVisibility !== 'function' || element.checkVisibility({ visibilityProperty: true }));
      this.setTrackSettings(trackId, { width, height, paused: !visible || !onScreen });
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

  /** The remote tracks being received: trackId → {participantId, trackId, info, track, stream}. */
  get remoteTracks() {
    return new Map(this._remote);
  }

  /** Leaves the room and closes the connection. Safe to call more than once. */
  leave() {
    if (this.closed) return;
    this._send({ type: 'leave' });
    this._disconnect({ reason: 'left' });
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

  _handleJoined(msg) {
    if (this.participantId) return;
    this.participantId = msg.participantId;
    this.iceServers = (msg.iceServers || []).map((s) => {
      const server = { urls: s.urls };
      if (s.username) server.username = s.username;
      if (s.credential) server.credential = s.credential;
      return server;
    });
    for (const p of msg.participants || []) this._addParticipant(p);
    this._createPeerConnection();
    // A newcomer to a room with tracks gets an offer for them right away:
    // offering at the same time would only collide, so our offers wait for
    // it (or for a few seconds).
    if ((msg.participants || []).some((p) => p.tracks && p.tracks.length)) {
      this._holdOffers = true;
      this._holdTimer = setTimeout(() => this._releaseOffers(), 3000);
    }
    this._onJoined();
  }

  _createPeerConnection() {
    const pc = new RTCPeerConnection({
      bundlePolicy: 'max-bundle',
      rtcpMuxPolicy: 'require',
      ...this._rtcConfig,
      iceServers: [...(this._rtcConfig.iceServers || []), ...this.iceServers],
    });
    this.pc = pc;

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
      if (state === 'failed' && !this.closed) pc.restartIce();
    };
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
    for (const entry of this._published.values()) {
      const dir = entry.transceiver.currentDirection;
      if (entry.announced || (dir !== 'sendonly' && dir !== 'sendrecv')) continue;
      entry.announced = true;
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
    if (!this.participantId) {
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
    return participant;
  }

  _handleParticipantJoined(p) {
    if (!p || p.id === this.participantId) return;
    const participant = this._addParticipant(p);
    this._emit('participant-joined', { participant });
  }

  _handleParticipantLeft(participantId) {
    const participant = this.participants.get(participantId);
    for (const [trackId, remote] of this._remote) {
      if (remote.participantId === participantId) this._removeRemote(trackId, true);
    }
    if (participant) for (const trackId of participant.tracks.keys()) this._gone.add(trackId);
    this.participants.delete(participantId);
    this._emit('participant-left', { participantId, participant });
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
    this._emit('track-published', { participantId: info.participantId, trackId: info.id, info: merged });
  }

  _handleTrackUnpublished(participantId, trackId) {
    this._gone.add(trackId);
    this._removeRemote(trackId, true);
    this.participants.get(participantId)?.tracks.delete(trackId);
  }

  _handleMute({ participantId, trackId, muted }) {
    const info = this.participants.get(participantId)?.tracks.get(trackId);
    if (info) info.muted = Boolean(muted);
    this._emit('mute', { participantId, trackId, info, muted: Boolean(muted) });
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

  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _disconnect(detail) {
    if (this.closed) return;
    this._teardown();
    for (const trackId of [...this._remote.keys()]) this._removeRemote(trackId, true);
    for (const w of this._waiters) w.reject(new Error('the room closed before the track was negotiated'));
    this._waiters.clear();
    this._emit('disconnected', detail);
  }

  _teardown() {
    this.closed = true;
    clearTimeout(this._holdTimer);
    for (const st of this._settings.values()) clearTimeout(st.timer);
    this._settings.clear();
    if (this.pc) {
      this.pc.onnegotiationneeded = this.pc.onicecandidate = this.pc.ontrack = null;
      this.pc.onconnectionstatechange = this.pc.onsignalingstatechange = this.pc.onicegatheringstatechange = null;
      this.pc.close();
    }
    if (this.ws) {
      this.ws.onmessage = this.ws.onclose = this.ws.onopen = null;
      if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    }
  }
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
    default:
      return JSON.stringify(msg);
  }
}

function wsURL(url) {
  const u = new URL(url, globalThis.location?.href);
  if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol === 'https:') u.protocol = 'wss:';
  return u.href;
}

function defaultLog(level, ...args) {
  const fn = { debug: console.debug, info: console.info, warn: console.warn, error: console.error }[level] || console.log;
  fn.call(console, ...args);
}
