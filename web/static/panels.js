// panels.js: the meeting page's side panel and its buttons, on the client
// library's API alone: a chat (publishData on topic "chat", dataReceived),
// a raised hand (the attribute "hand", participantAttributesChanged), the
// list of participants with their microphone, camera and hand, and a button
// that copies the room's invite link. app.js calls setupPanels(room) once
// joined; the rest follows the room's events.
//
// Hooks for tests: #chat-log > li[data-identity][data-kind="message|system"]
// with .chat-name, .chat-time and .chat-text; #people-list >
// li[data-identity][data-mic="on|off"][data-camera="on|off"][data-hand];
// tiles (#grid .tile[data-participant-id]) get data-hand while a hand is up.

const $ = (id) => document.getElementById(id);

/** The topic of chat messages: UTF-8 text, one message per data message. */
export const CHAT_TOPIC = 'chat';
/** The attribute of a raised hand: when it went up (ms since the epoch); absent when down. */
export const HAND_ATTRIBUTE = 'hand';

// The longest chat message, in characters: its UTF-8 stays under the
// server's 15 KiB for a reliable message.
const MAX_CHAT_CHARS = 4000;
// How long the invite button says it copied.
const COPIED_MS = 2000;

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

/**
 * Wires the panel, the chat, the hand and the invite link to room.
 * @param {import('./switchboard.js').Room} room
 * @param {{roomName: string, showError?: (text: string) => void}} options
 */
export function setupPanels(room, { roomName, showError = () => {} }) {
  const ui = {
    panel: $('side-panel'),
    tabChat: $('tab-chat'),
    tabPeople: $('tab-people'),
    chatPanel: $('chat-panel'),
    peoplePanel: $('people-panel'),
    log: $('chat-log'),
    form: $('chat-form'),
    input: $('chat-input'),
    people: $('people-list'),
    peopleCount: $('people-count'),
    toggleChat: $('toggle-chat'),
    togglePeople: $('toggle-people'),
    unread: $('chat-unread'),
    hand: $('toggle-hand'),
    invite: $('copy-invite'),
    inviteLink: $('invite-link'),
  };
  let unread = 0;
  let view = null; // 'chat' | 'people' | null (closed)
  let renderQueued = false;

  const open = (which) => {
    view = view === which ? null : which;
    ui.panel.hidden = view === null;
    ui.chatPanel.hidden = view !== 'chat';
    ui.peoplePanel.hidden = view !== 'people';
    ui.tabChat.setAttribute('aria-selected', String(view === 'chat'));
    ui.tabPeople.setAttribute('aria-selected', String(view === 'people'));
    ui.toggleChat.setAttribute('aria-pressed', String(view === 'chat'));
    ui.togglePeople.setAttribute('aria-pressed', String(view === 'people'));
    if (view === 'chat') {
      setUnread(0);
      ui.input.focus();
    }
  };

  const setUnread = (n) => {
    unread = n;
    ui.unread.textContent = n > 99 ? '99+' : String(n);
    ui.unread.hidden = n === 0;
    ui.toggleChat.setAttribute('aria-label', n ? `Chat, ${n} unread` : 'Chat');
  };

  let lastSystem = null; // {text, li, count}: repeats of one system line are counted on it

  const addLine = ({ kind, identity = '', name = '', text }) => {
    if (kind === 'system' && lastSystem?.text === text && ui.log.lastElementChild === lastSystem.li) {
      lastSystem.count++;
      lastSystem.li.querySelector('.chat-text').textContent = `${text} (×${lastSystem.count})`;
      return;
    }
    const li = document.createElement('li');
    li.dataset.kind = kind;
    if (identity) li.dataset.identity = identity;
    const head = document.createElement('div');
    head.className = 'chat-head';
    if (name) {
      const who = document.createElement('span');
      who.className = 'chat-name';
      who.textContent = name;
      head.append(who);
    }
    const time = document.createElement('time');
    const now = new Date();
    time.className = 'chat-time';
    time.dateTime = now.toISOString();
    time.textContent = timeFormat.format(now);
    head.append(time);
    const body = document.createElement('p');
    body.className = 'chat-text';
    body.textContent = text; // text, never HTML
    li.append(head, body);
    lastSystem = kind === 'system' ? { text, li, count: 1 } : null;
    const atBottom = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 40;
    ui.log.append(li);
    if (atBottom || kind !== 'message') li.scrollIntoView({ block: 'end' });
    if (view !== 'chat' && kind === 'message' && identity !== room.localParticipant.identity) setUnread(unread + 1);
  };

  // ---- chat ----
  ui.form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = ui.input.value.trim();
    if (!text) return;
    if (text.length > MAX_CHAT_CHARS) {
      addLine({ kind: 'system', text: `Not sent: a message has at most ${MAX_CHAT_CHARS} characters.` });
      return;
    }
    room.localParticipant.publishData(text, { reliable: true, topic: CHAT_TOPIC })
      .then(() => {
        addLine({ kind: 'message', identity: room.localParticipant.identity, name: `${room.localParticipant.name} (you)`, text });
        ui.input.value = '';
      })
      .catch((err) => addLine({ kind: 'system', text: `Not sent: ${err.message}` }));
  });
  // Enter sends (the form's submit); Shift+Enter is not needed in a one-line input.
  room.on('dataReceived', (payload, participant, topic) => {
    if (topic !== CHAT_TOPIC) return;
    const text = new TextDecoder().decode(payload);
    addLine({ kind: 'message', identity: participant?.identity || '', name: participant?.name || 'Someone who left', text });
  });
  room.on('error', ({ code, message }) => {
    if (code === 'data-too-large' || code === 'rate-limited') addLine({ kind: 'system', text: `A message was not delivered: ${message}` });
    if (code === 'invalid-attributes') showError(`Raising the hand failed: ${message}`);
  });

  // ---- raised hand ----
  const handUp = () => Boolean(room.localParticipant.attributes[HAND_ATTRIBUTE]);
  ui.hand.addEventListener('click', () => {
    const raise = !handUp();
    room.localParticipant.setAttributes({ [HAND_ATTRIBUTE]: raise ? String(Date.now()) : '' })
      .catch((err) => showError(`Raising the hand failed: ${err.message}`));
  });

  // ---- invite link ----
  ui.invite.addEventListener('click', async () => {
    const link = `${location.origin}/room/${encodeURIComponent(roomName)}`;
    const label = ui.invite.querySelector('span');
    try {
      await navigator.clipboard.writeText(link);
      label.textContent = 'Link copied';
      setTimeout(() => { label.textContent = 'Invite'; }, COPIED_MS);
    } catch {
      // No clipboard (http:// away from localhost): show the link to copy by hand.
      ui.inviteLink.value = link;
      ui.inviteLink.hidden = false;
      ui.inviteLink.select();
    }
  });

  // ---- participant list, hands on tiles ----
  const render = () => {
    renderQueued = false;
    if (room.closed) return;
    const everyone = [room.localParticipant, ...room.remoteParticipants.values()];
    ui.peopleCount.textContent = String(everyone.length);
    ui.people.replaceChildren(...everyone.map(personItem));
    ui.hand.setAttribute('aria-pressed', String(handUp()));
    ui.hand.querySelector('span').textContent = handUp() ? 'Lower hand' : 'Raise hand';
    const hands = new Map(everyone.map((p) => [p.sid, Boolean(p.attributes[HAND_ATTRIBUTE])]));
    for (const tile of document.querySelectorAll('#grid .tile[data-participant-id]')) {
      const up = tile.dataset.source !== 'screen' && hands.get(tile.dataset.participantId);
      if (up) tile.dataset.hand = 'raised';
      else delete tile.dataset.hand;
    }
  };
  // Events come in bursts (a join brings tracks): one render per task.
  const queueRender = () => {
    if (renderQueued) return;
    renderQueued = true;
    queueMicrotask(render);
  };
  for (const name of ['participantConnected', 'participantDisconnected', 'trackPublished', 'trackUnpublished',
    'trackMuted', 'trackUnmuted', 'trackSubscribed', 'localTrackPublished', 'localTrackUnpublished',
    'participantAttributesChanged', 'reconnected']) {
    room.on(name, queueRender);
  }
  room.on('participantAttributesChanged', (changed, participant) => {
    if (!(HAND_ATTRIBUTE in changed) || participant === room.localParticipant) return;
    if (changed[HAND_ATTRIBUTE]) addLine({ kind: 'system', identity: participant.identity, text: `${participant.name} raised a hand` });
  });

  ui.toggleChat.addEventListener('click', () => open('chat'));
  ui.togglePeople.addEventListener('click', () => open('people'));
  ui.tabChat.addEventListener('click', () => view !== 'chat' && open('chat'));
  ui.tabPeople.addEventListener('click', () => view !== 'people' && open('people'));
  $('side-close').addEventListener('click', () => open(view));
  // Our own mute buttons change the local publications without an event.
  document.querySelector('.controls').addEventListener('click', queueRender);
  setUnread(0);
  render();
  return { render: queueRender };
}

// One participant of the list.
function personItem(p) {
  const li = document.createElement('li');
  li.dataset.identity = p.identity;
  const mic = p.isMicrophoneEnabled;
  const cam = p.isCameraEnabled;
  const hand = Boolean(p.attributes[HAND_ATTRIBUTE]);
  li.dataset.mic = mic ? 'on' : 'off';
  li.dataset.camera = cam ? 'on' : 'off';
  if (hand) li.dataset.hand = 'raised';
  const name = document.createElement('span');
  name.className = 'person-name';
  name.textContent = p.name + (p.isLocal ? ' (you)' : '');
  name.title = p.identity;
  const states = document.createElement('span');
  states.className = 'person-states';
  states.append(
    stateIcon(hand, 'i-hand', 'hand raised', 'hand'),
    stateIcon(true, mic ? 'i-mic' : 'i-mic-off', mic ? 'microphone on' : 'microphone muted', mic ? '' : 'off'),
    stateIcon(true, cam ? 'i-cam' : 'i-cam-off', cam ? 'camera on' : 'camera off', cam ? '' : 'off'),
  );
  li.setAttribute('aria-label', `${name.textContent}: ${hand ? 'hand raised, ' : ''}microphone ${mic ? 'on' : 'muted'}, camera ${cam ? 'on' : 'off'}`);
  li.append(name, states);
  return li;
}

// An icon of the page's sprite (room.html); the list item's label says it
// in words.
function stateIcon(show, symbol, label, cls) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('class', `state ${cls}`.trim());
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
  title.textContent = label;
  const use = document.createElementNS('http://www.w3.org/2000/svg', 'use');
  use.setAttribute('href', `#${symbol}`);
  svg.append(title, use);
  if (!show) svg.style.display = 'none';
  return svg;
}
