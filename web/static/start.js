// The start page: pick a room name and go to /room/NAME.
const form = document.getElementById('start-form');
const input = document.getElementById('room-name');
const error = document.getElementById('room-error');
const valid = /^[A-Za-z0-9._-]{1,64}$/;

if (!input.value) input.value = `room-${Math.random().toString(36).slice(2, 8)}`;
input.select();

form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const name = input.value.trim().replace(/\s+/g, '-');
  if (!valid.test(name)) {
    error.textContent = 'Use 1 to 64 letters, digits, "-", "_" or ".".';
    error.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  location.assign(`/room/${encodeURIComponent(name)}`);
});
input.addEventListener('input', () => {
  error.hidden = true;
  input.removeAttribute('aria-invalid');
});
