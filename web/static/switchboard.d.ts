// switchboard.d.ts: the types of switchboard.js, the Switchboard client
// library (an ES module with no dependencies, served at
// /static/switchboard.js with this file beside it). Hand-written: keep it in
// step with the module.
//
//   import { connect } from 'https://meet.example.com/static/switchboard.js';
//   const room = await connect('https://meet.example.com', token);
//   room.on('trackSubscribed', (track, publication, participant) => grid.append(track.attach()));
//   await room.localParticipant.enableCameraAndMicrophone();

/** The signaling protocol version the client speaks. */
export const PROTOCOL_VERSION: 2;

/** The simulcast layers a camera is published with by default: rids q, h, f. */
export const SIMULCAST_ENCODINGS: readonly Readonly<RTCRtpEncodingParameters>[];

export type TrackKind = 'audio' | 'video';
/** A track's source; a screen share is `'screen'` (LiveKit: `'screen_share'`). */
export type TrackSource = 'camera' | 'microphone' | 'screen';

/** Track kinds and sources as constants. */
export const Track: {
  readonly Kind: { readonly Audio: 'audio'; readonly Video: 'video' };
  readonly Source: { readonly Camera: 'camera'; readonly Microphone: 'microphone'; readonly ScreenShare: 'screen' };
};

/** The names of the LiveKit-style events of Room.on(). */
export const RoomEvent: {
  readonly ParticipantConnected: 'participantConnected';
  readonly ParticipantDisconnected: 'participantDisconnected';
  readonly TrackPublished: 'trackPublished';
  readonly TrackUnpublished: 'trackUnpublished';
  readonly TrackSubscribed: 'trackSubscribed';
  readonly TrackUnsubscribed: 'trackUnsubscribed';
  readonly TrackMuted: 'trackMuted';
  readonly TrackUnmuted: 'trackUnmuted';
  readonly LocalTrackPublished: 'localTrackPublished';
  readonly LocalTrackUnpublished: 'localTrackUnpublished';
  readonly AudioPlaybackStatusChanged: 'audioPlaybackChanged';
  readonly ActiveSpeakersChanged: 'activeSpeakersChanged';
  readonly ConnectionQualityChanged: 'connectionQualityChanged';
  readonly DataReceived: 'dataReceived';
  readonly ParticipantAttributesChanged: 'participantAttributesChanged';
  readonly ConnectionStateChanged: 'connectionStateChanged';
  readonly Reconnecting: 'reconnecting';
  readonly Reconnected: 'reconnected';
  readonly Disconnected: 'disconnected';
};

/** An error the server sent (its `code`: `unauthorized`, `room-full`, ...), or a local failure (`timeout`, `connect-failed`, `not-supported`, `not-connected`). */
export class SwitchboardError extends Error {
  constructor(code: string, message?: string, fatal?: boolean);
  readonly name: 'SwitchboardError';
  /** A protocol error code, or `timeout`, `connect-failed`, `not-supported`, `not-connected`. */
  code: string;
  /** Whether the server ended the session with it. */
  fatal: boolean;
}

export interface ConnectOptions {
  /** The room to join; default: the token's `room` claim. */
  room?: string;
  /** The display name; default: the token's `name` claim, else its `sub`. The server shows the token's `name` when it has one. */
  name?: string;
  /** The access token a server with API keys requires. */
  token?: string;
  /** Milliseconds to wait for the server's `joined` (15000). */
  timeout?: number;
  /**
   * Milliseconds to keep reconnecting after the signaling connection dropped
   * (backoff 0, 0.25, 0.5, 1, 2, then every 4 s), before `disconnected`
   * (30000: the server's default `--resume-window`).
   */
  reconnectTimeout?: number;
  /** Merged into the RTCPeerConnection's configuration (`{iceTransportPolicy: 'relay'}`). */
  rtcConfig?: RTCConfiguration;
  /** Send Opus with discontinuous transmission (true). */
  dtx?: boolean;
  /** Where the client's log goes (the console). */
  log?: (level: 'debug' | 'info' | 'warn' | 'error', ...args: unknown[]) => void;
}

/**
 * Connects and joins. `url`: the server's base URL (`https://meet.example.com`;
 * `/ws` is added) or the WebSocket URL (`wss://meet.example.com/ws`).
 * `token`: an access token whose claims name the room (`room`), the identity
 * (`sub`) and the display name (`name`). Rejects with a SwitchboardError.
 * Listeners added right after it resolves see every track: the server's
 * first offer is handled after. A server of a cluster that is full answers
 * with a `redirect`: the join goes on at the server it names (at most 3
 * redirects), and connect() resolves once joined there (`room.url` says where).
 */
export function connect(url: string | URL, token: string, options?: Omit<ConnectOptions, 'token'>): Promise<Room>;
/** The older form: room and name given outright (or from options.token). */
export function connect(url: string | URL, options: ConnectOptions): Promise<Room>;

/** The claims of an access token, read without checking its signature (the server checks it). */
export function decodeToken(token: string): TokenClaims;

export interface TokenClaims {
  room?: string;
  sub?: string;
  name?: string;
  iss?: string;
  exp?: number;
  nbf?: number;
  publish?: boolean;
  subscribe?: boolean;
  publishScreen?: boolean;
  [claim: string]: unknown;
}

export interface Permissions {
  publish: boolean;
  publishScreen: boolean;
  subscribe: boolean;
}

/** Arguments of the room.on() listeners, by event name. */
export interface RoomEventMap {
  participantConnected: [participant: RemoteParticipant];
  participantDisconnected: [participant: RemoteParticipant];
  trackPublished: [publication: RemoteTrackPublication, participant: RemoteParticipant];
  trackUnpublished: [publication: RemoteTrackPublication, participant: RemoteParticipant];
  trackSubscribed: [track: RemoteTrack, publication: RemoteTrackPublication, participant: RemoteParticipant];
  trackUnsubscribed: [track: RemoteTrack, publication: RemoteTrackPublication, participant: RemoteParticipant];
  trackMuted: [publication: TrackPublication, participant: Participant];
  trackUnmuted: [publication: TrackPublication, participant: Participant];
  localTrackPublished: [publication: LocalTrackPublication, participant: LocalParticipant];
  localTrackUnpublished: [publication: LocalTrackPublication, participant: LocalParticipant];
  audioPlaybackChanged: [canPlaybackAudio: boolean];
  /** Who is speaking changed: the dominant speaker first, then from the loudest; empty when nobody speaks. */
  activeSpeakersChanged: [speakers: Participant[]];
  /** A participant's connection quality (the local one's too) changed level, as the server scores it. */
  connectionQualityChanged: [quality: ConnectionQuality, participant: Participant];
  /**
   * A data message (publishData) from another participant, named by the
   * server (a sender cannot pose as another); `participant` is undefined if
   * it has left meanwhile.
   */
  dataReceived: [payload: Uint8Array, participant: RemoteParticipant | undefined, topic: string | undefined];
  /** A participant's attributes changed (ours too: the server echoes them); an empty value is a key removed. */
  participantAttributesChanged: [changedAttributes: Record<string, string>, participant: Participant];
  connectionStateChanged: [state: RTCPeerConnectionState];
  /**
   * The signaling connection dropped without a word (a network blip, a
   * proxy's idle timeout): the room reconnects with backoff and resumes the
   * session, media going on meanwhile. Or the server sent the room to
   * another server mid-session (`redirect`: it is shutting down): the
   * others' tracks end (trackUnsubscribed) and the room joins again at `url`
   * with the same room, name and token.
   */
  reconnecting: [reason: string, url: string];
  /**
   * After a resume: the same participant and RTCPeerConnection, nothing
   * republished, and `participantId === previousParticipantId`; who came or
   * went meanwhile is reported as usual (participantConnected, ...).
   *
   * After a move to another server, or a resume the server refused (its
   * window passed): joined again, the local tracks published again on a new
   * RTCPeerConnection (`room.pc`) with their mute states, the others' tracks
   * arrive again (trackSubscribed), and this participant has a new id
   * (`room.participantId`, `localParticipant.sid`, and the mids of its
   * publications). A failure to get there, or no server within
   * `reconnectTimeout`, ends the session (`disconnected`).
   */
  reconnected: [participantId: string, previousParticipantId: string];
  /** `'left'` after leave()/disconnect(), else what ended the session. */
  disconnected: [reason: string];
  // The lower-level events: the listener gets the CustomEvent's detail.
  'participant-joined': [detail: { participant: ParticipantInfo }];
  'participant-left': [detail: { participantId: string; participant?: ParticipantInfo }];
  'track-published': [detail: { participantId: string; trackId: string; info: TrackInfo }];
  track: [detail: RemoteTrackInfo];
  'track-removed': [detail: { participantId: string; trackId: string; info: TrackInfo; track: MediaStreamTrack }];
  mute: [detail: { participantId: string; trackId: string; info?: TrackInfo; muted: boolean }];
  error: [detail: { code: string; message: string; fatal: boolean; error: SwitchboardError }];
  'connection-state': [detail: { state: RTCPeerConnectionState }];
  layers: [detail: { mid: string; track: MediaStreamTrack | null; active: string[] }];
  /** The server's `speakers` message as it came. */
  speakers: [detail: { speakers: SpeakerInfo[] }];
}

/** One speaker of the protocol's `speakers` message. */
export interface SpeakerInfo {
  participantId: string;
  /** 0 (-60 dBov or quieter) to 1 (full scale), linear in decibels. */
  level: number;
}

/** A track as the protocol describes it. */
export interface TrackInfo {
  id: string;
  participantId: string;
  kind: TrackKind;
  source: TrackSource;
  muted: boolean;
}

/** A participant as the protocol describes it (Room.participants). */
export interface ParticipantInfo {
  id: string;
  name: string;
  tracks: Map<string, TrackInfo>;
}

/** A remote track being received (Room.remoteTracks, the `track` event). */
export interface RemoteTrackInfo {
  participantId: string;
  trackId: string;
  info: TrackInfo;
  track: MediaStreamTrack;
  stream: MediaStream;
  mid: string;
}

export interface PublishOptions {
  source?: TrackSource;
  muted?: boolean;
  /** Camera video is simulcast (q, h, f) unless false. */
  simulcast?: boolean;
  /** The send encodings outright (with rids for simulcast). */
  encodings?: RTCRtpEncodingParameters[];
}

export interface TrackSettings {
  width?: number;
  height?: number;
  paused?: boolean;
}

/** One session in one room. Events: room.on(), or addEventListener (CustomEvent, arguments by name in detail). */
export class Room extends EventTarget {
  /** Use connect(). */
  constructor(url: string | URL, options: ConnectOptions);

  /** This participant. */
  readonly localParticipant: LocalParticipant;
  /** The others, by identity (the token's `sub`; the participant id on a server without API keys). */
  readonly remoteParticipants: Map<string, RemoteParticipant>;
  /** The other participant of this identity. */
  getParticipantByIdentity(identity: string): RemoteParticipant | undefined;
  /** The other participant of this participant id (sid), as the protocol names it. */
  getParticipantBySid(sid: string): RemoteParticipant | undefined;
  /** `'connected'`; `'reconnecting'` while the signaling reconnects or the room moves to another server; `'disconnected'` once the session is over. */
  readonly state: 'connected' | 'reconnecting' | 'disconnected';
  /** False while the browser blocks remote sound; startAudio() from a click. */
  readonly canPlaybackAudio: boolean;
  /** Who is speaking: the dominant speaker (holding the floor) first, then from the loudest. */
  readonly activeSpeakers: Participant[];
  /** The room's name. */
  readonly roomName: string;
  /** This participant's display name as sent in the join (older API; see localParticipant.name). */
  readonly name: string;
  /** This participant's id, from `joined` (a new one after `reconnected`). */
  readonly participantId: string | null;
  /** What the server lets this participant do. */
  readonly permissions: Permissions;
  /** The signaling WebSocket URL of the server the room is joined at (after a redirect, the one it was sent to). */
  readonly url: string;
  /** The one RTCPeerConnection (a new one after `reconnected`). */
  readonly pc: RTCPeerConnection | null;
  readonly ws: WebSocket | null;
  readonly closed: boolean;
  readonly iceServers: RTCIceServer[];
  /** The others as the protocol describes them (older API). */
  readonly participants: Map<string, ParticipantInfo>;
  /** The remote tracks received, by track id (older API). */
  readonly remoteTracks: Map<string, RemoteTrackInfo>;
  /** The local tracks published (older API). */
  readonly publishedTracks: {
    track: MediaStreamTrack;
    source: TrackSource;
    muted: boolean;
    mid: string | null;
    rids: string[];
    simulcast: string[] | null;
  }[];

  on<E extends keyof RoomEventMap>(event: E, listener: (...args: RoomEventMap[E]) => void): this;
  off<E extends keyof RoomEventMap>(event: E, listener: (...args: RoomEventMap[E]) => void): this;
  once<E extends keyof RoomEventMap>(event: E, listener: (...args: RoomEventMap[E]) => void): this;

  /**
   * Leaves the room; `disconnected` with `'left'` follows. While reconnecting it stops trying at
   * once, and tells the server on a short-lived connection of its own (leave with the resume token).
   */
  disconnect(): Promise<void>;
  /** Leaves the room (older name). */
  leave(): void;
  /** Plays the remote audio the autoplay policy blocked; call it from a user gesture. */
  startAudio(): Promise<void>;

  // The older, lower-level API.
  publish(track: MediaStreamTrack, options?: PublishOptions & { stream?: MediaStream }): Promise<RTCRtpTransceiver>;
  publish(stream: MediaStream, options?: PublishOptions): Promise<RTCRtpTransceiver[]>;
  unpublish(track: MediaStreamTrack): Promise<void>;
  setMuted(track: MediaStreamTrack, muted: boolean): void;
  isMuted(track: MediaStreamTrack): boolean;
  replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack): Promise<void>;
  setTrackSettings(trackId: string, settings: TrackSettings): void;
  trackSettings(trackId: string): Required<TrackSettings> | null;
  observeTrack(trackId: string, element: HTMLElement): { update(): void; stop(): void };
}

/** A participant: the local one or a remote one. */
export class Participant {
  /** The participant id the server gave. */
  readonly sid: string;
  /** The application's identity: the token's `sub`; the participant id on a server without API keys. */
  identity: string;
  /** Small key/value metadata everyone in the room sees (setAttributes). */
  readonly attributes: Record<string, string>;
  /** The display name. */
  name: string;
  /** Its tracks, by track sid. */
  readonly trackPublications: Map<string, TrackPublication>;
  readonly videoTrackPublications: Map<string, TrackPublication>;
  readonly audioTrackPublications: Map<string, TrackPublication>;
  readonly isLocal: boolean;
  readonly isCameraEnabled: boolean;
  readonly isMicrophoneEnabled: boolean;
  readonly isScreenShareEnabled: boolean;
  /** Whether the server counts it among who is speaking now. */
  readonly isSpeaking: boolean;
  /** Its audio level, 0 (-60 dBov or quieter) to 1, while it speaks; 0 otherwise. */
  readonly audioLevel: number;
  /** Its connection as the server scores it (uplink and downlink), 'unknown' before the first score. */
  readonly connectionQuality: ConnectionQuality | 'unknown';
  /** The score behind it: a MOS from 1 to 5; 0 when lost or unknown. */
  readonly connectionQualityScore: number;
  getTrackPublication(source: TrackSource): TrackPublication | undefined;
}

/** A connection quality level, best first: see docs/protocol.md, `quality`. */
export type ConnectionQuality = 'excellent' | 'good' | 'poor' | 'lost';

/** The levels the server sends, best first. */
export const CONNECTION_QUALITIES: readonly ConnectionQuality[];

export class RemoteParticipant extends Participant {
  readonly isLocal: false;
  readonly trackPublications: Map<string, RemoteTrackPublication>;
  getTrackPublication(source: TrackSource): RemoteTrackPublication | undefined;
}

export class LocalParticipant extends Participant {
  readonly isLocal: true;
  readonly trackPublications: Map<string, LocalTrackPublication>;
  readonly permissions: Permissions;
  /** The publication of a source, negotiated or on its way. */
  getTrackPublication(source: TrackSource): LocalTrackPublication | undefined;
  /** Camera and microphone: one getUserMedia prompt, published (camera as simulcast), or unmuted where published. */
  enableCameraAndMicrophone(): Promise<void>;
  /** On: publish (getUserMedia, with these constraints) or unmute. Off: mute (black frames, the others told). */
  setCameraEnabled(enabled: boolean, constraints?: MediaTrackConstraints): Promise<LocalTrackPublication | undefined>;
  /** On: publish or unmute. Off: mute. */
  setMicrophoneEnabled(enabled: boolean, constraints?: MediaTrackConstraints): Promise<LocalTrackPublication | undefined>;
  /** On: getDisplayMedia and publish. Off: unpublish and stop. */
  setScreenShareEnabled(enabled: boolean, constraints?: MediaTrackConstraints): Promise<LocalTrackPublication | undefined>;
  /** Publishes a browser track; resolves once the server accepted it. */
  publishTrack(track: MediaStreamTrack | LocalTrack, options?: PublishOptions): Promise<LocalTrackPublication>;
  /** Stops publishing; stops the browser's track unless stopOnUnpublish is false. */
  unpublishTrack(track: MediaStreamTrack | LocalTrack, stopOnUnpublish?: boolean): Promise<LocalTrackPublication | undefined>;
  /**
   * Sends data to the others (or the identities named) on the data channel
   * (reliable and ordered, or lossy), or on the signaling socket while the
   * channel is not open. At most 15 KiB reliable, 1.3 KiB lossy, 50
   * messages a second in bursts of 100: past them the server drops it and
   * the room emits `error` (code `data-too-large` or `rate-limited`).
   */
  publishData(data: Uint8Array | ArrayBuffer | string, options?: DataPublishOptions): Promise<void>;
  /** Changes this participant's attributes ('' removes a key); at most 16 keys and 1 KiB, else an `error` (`invalid-attributes`). */
  setAttributes(attributes: Record<string, string>): Promise<void>;
}

/** Options of publishData. */
export interface DataPublishOptions {
  /** Reliable and ordered (the default), or lossy: no retransmission, unordered. */
  reliable?: boolean;
  /** A label receivers get with the data (`dataReceived`'s third argument). */
  topic?: string;
  /** Only these identities get it; all the others when absent or empty. */
  destinationIdentities?: string[];
}

/** A published track. */
export class TrackPublication {
  /** The server's track id (remote), the transceiver's mid (local). */
  trackSid: string;
  kind: TrackKind;
  source: TrackSource;
  readonly isMuted: boolean;
  track: RemoteTrack | LocalTrack | null;
}

export class RemoteTrackPublication extends TrackPublication {
  /** The track while it is received. */
  track: RemoteTrack | null;
  readonly isSubscribed: boolean;
}

export class LocalTrackPublication extends TrackPublication {
  track: LocalTrack;
  mute(): Promise<void>;
  unmute(): Promise<void>;
}

/** A received track. */
export class RemoteTrack {
  /** The server's track id. */
  readonly sid: string;
  readonly kind: TrackKind;
  readonly source: TrackSource;
  readonly isMuted: boolean;
  readonly publication: RemoteTrackPublication;
  readonly mediaStreamTrack: MediaStreamTrack;
  readonly mediaStream: MediaStream;
  readonly attachedElements: HTMLMediaElement[];
  /**
   * Plays the track in element or a new `<video>`/`<audio>` and returns it.
   * For video, the element's size and visibility go to the server, which
   * sends the simulcast layer that fits, or nothing while it is hidden.
   */
  attach(): HTMLMediaElement;
  attach<T extends HTMLMediaElement>(element: T): T;
  /** Stops playing it in element (returned), or in all its elements (returned). */
  detach(): HTMLMediaElement[];
  detach<T extends HTMLMediaElement>(element: T): T;
  /** Checks the attached elements' visibility again after a change observers cannot see (visibility: hidden by a class). */
  updateVisibility(): void;
}

/** A track this participant publishes. */
export class LocalTrack {
  /** The transceiver's mid once negotiated, else ''. */
  readonly sid: string;
  readonly kind: TrackKind;
  readonly source: TrackSource;
  readonly isMuted: boolean;
  readonly publication: LocalTrackPublication | null;
  readonly mediaStreamTrack: MediaStreamTrack;
  readonly attachedElements: HTMLMediaElement[];
  mute(): Promise<void>;
  unmute(): Promise<void>;
  /** Sends another browser track in its place, with no renegotiation. */
  replaceTrack(track: MediaStreamTrack): Promise<void>;
  /** Shows it, muted, in element or a new `<video>`/`<audio>`. */
  attach(): HTMLMediaElement;
  attach<T extends HTMLMediaElement>(element: T): T;
  detach(): HTMLMediaElement[];
  detach<T extends HTMLMediaElement>(element: T): T;
  /** Stops the browser's track. */
  stop(): void;
}
