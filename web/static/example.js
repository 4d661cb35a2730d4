// example.js: the smallest app on switchboard.js, for example.html. It joins
// the room that the page's ?token= names, publishes camera and microphone,
// and shows everyone else.
import { connect } from './switchboard.js';

const status = document.getElementById('status');
const media = document.getElementById('media');
const token = new URLSearchParams(location.search).get('token');

function show(track, publication, participant) {
  const element = track.attach(); // a <video> or <audio>, sized and paused by what is visible
  element.dataset.identity = participant.identity;
  element.dataset.source = publication.source;
  element.width = 320;
  media.append(element);
}

try {
  const room = await connect(location.origin, token);
  window.room = room; // for the console
  room.on('trackSubscribed', show);
  room.on('trackUnsubscribed', (track) => track.detach().forEach((element) => element.remove()));
  room.on('disconnected', (reason) => { status.textContent = `Disconnected: ${reason}`; });
  await room.localParticipant.enableCameraAndMicrophone();
  status.textContent = `In ${room.roomName} as ${room.localParticipant.name}`;
} catch (err) {
  status.textContent = `Could not join: ${err.message}`;
}
