// The dashboard's sounds, made in the browser: a chime for new orders, beeps for staff calls,
// a siren for a printer in trouble. The choice (on or off) is kept in localStorage, so it
// survives reloads; but browsers start audio only after a touch or click on the page, so
// after a reload a large prompt asks for that one tap until the sound really plays.
import { h, icon } from './ui.js';
import { t } from './i18n.js';

const SOUND_KEY = 'tableorder.sound';

// Two rising notes for an order, three short beeps for a staff call, and for a printer
// that cannot print a falling two-tone siren, twice, with a harsher (square) sound.
const CHIMES = {
  order: { notes: [[784, 0], [1175, 0.18]], len: 0.6, type: 'sine', gain: 0.35 },
  call: { notes: [[1046, 0], [1046, 0.2], [1046, 0.4]], len: 0.18, type: 'sine', gain: 0.35 },
  printer: { notes: [[988, 0], [659, 0.25], [988, 0.55], [659, 0.8]], len: 0.22, type: 'square', gain: 0.12 },
};

// button: the top bar's on/off toggle; prompt: the banner element under the top bar; key:
// where the choice is kept (the kitchen display keeps its own).
export function createChime({ button, prompt, key = SOUND_KEY }) {
  const SOUND_KEY = key;
  let on = localStorage.getItem(SOUND_KEY) !== 'off';
  let audio = null;
  let last = 0;
  let active = false; // the dashboard is shown (not the login)
  let pressing = false; // a finger or the mouse is down

  const running = () => !!audio && audio.state === 'running';

  // Made at once (a context may start without a gesture where the browser allows it);
  // resumed on every gesture until it runs.
  function context() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    if (!audio) {
      audio = new AC();
      audio.addEventListener('statechange', () => {
        // Sound that plays was wanted: keep "on" for the next reload (the first tap after a
        // reload may land anywhere, not only on the prompt).
        if (on && running()) localStorage.setItem(SOUND_KEY, 'on');
        render();
      });
    }
    return audio;
  }
  function unlock() {
    const ac = context();
    if (ac && ac.state === 'suspended') ac.resume().then(render, () => {});
    render();
  }

  function play(kind) {
    if (!on || !running()) return;
    const since = performance.now() - last;
    // Chimes do not overlap; a call or a printer problem right after another chime plays next.
    if (since < 700) {
      if (kind !== 'order') setTimeout(() => play(kind), 700 - since);
      return;
    }
    last = performance.now();
    const now = audio.currentTime;
    const c = CHIMES[kind] || CHIMES.order;
    for (const [freq, at] of c.notes) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = c.type;
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(c.gain, now + at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + c.len);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + at);
      osc.stop(now + at + 0.65);
    }
  }

  function set(value) {
    on = value;
    localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
    unlock();
    if (on) setTimeout(() => play('order'), 50);
  }

  function render() {
    const blocked = on && !running();
    button.replaceChildren(icon(on ? 'sound' : 'mute'));
    button.classList.toggle('warn', blocked);
    button.setAttribute('aria-pressed', String(on));
    const label = !on ? t('sound.off') : blocked ? t('sound.blocked') : t('sound.on');
    button.title = label;
    button.setAttribute('aria-label', label);
    const hide = !(active && blocked);
    // The tap that turned the sound on may have been meant for a button: the prompt goes away
    // once that tap is over, so that nothing moves under the finger and the tap is not lost.
    if (hide && pressing) return;
    prompt.hidden = hide;
    if (!prompt.hidden) {
      prompt.replaceChildren(
        h(
          'button.sound-enable',
          { type: 'button', 'data-action': 'sound-on', onclick: () => set(true) },
          icon('sound'),
          h('span.sound-enable-text', h('strong', t('sound.enable')), h('small', t('sound.enableHelp'))),
        ),
        h('button.ghost.sound-off', { type: 'button', 'data-action': 'sound-off', onclick: () => set(false) }, t('sound.turnOff')),
      );
    }
  }

  button.addEventListener('click', () => set(!on));
  // Any touch or key on the page counts as the gesture the browser waits for.
  for (const ev of ['pointerdown', 'keydown']) document.addEventListener(ev, unlock, { passive: true });
  document.addEventListener('pointerdown', () => (pressing = true), { capture: true, passive: true });
  for (const ev of ['pointerup', 'pointercancel']) {
    document.addEventListener(
      ev,
      () => {
        pressing = false;
        // After the click this pointerup leads to.
        setTimeout(render, 0);
      },
      { capture: true, passive: true },
    );
  }

  return {
    play,
    render,
    // The dashboard is on screen (true) or the login (false): only the dashboard prompts.
    show(value) {
      active = value;
      if (active) context();
      render();
    },
    isOn: () => on,
  };
}
