// The PIN pad: large keys (64 px and more) for a shared terminal's login and for a manager's
// approval, and the same PIN typed on a keyboard. The field takes no on-screen keyboard of
// the device (inputmode none): the pad is the keyboard. withApproval() runs an action that a
// server may do only with a manager's PIN (a discount, 서비스, a void).
import { h, icon, errorText } from './ui.js';
import { t } from './i18n.js';

export const PIN_MIN = 4;
export const PIN_MAX = 8;
export const validPin = (pin) => new RegExp(`^\\d{${PIN_MIN},${PIN_MAX}}$`).test(pin);

// submit(pin) runs on 확인 (or Enter) with a PIN of 4–8 digits; what it throws shows under
// the field (`message`, already in the UI's language). Its words are i18n keys (data-i18n), so
// a language switch (applyI18n) renames the keys of a pad on screen.
// Returns {el, clear, error, focus, disable}.
export function pinPad({ submit, submitKey = 'pin.ok' }) {
  const input = h('input.pin-field', {
    name: 'pin',
    type: 'password',
    inputmode: 'none',
    autocomplete: 'off',
    maxlength: PIN_MAX,
    'aria-label': t('pin.label'),
    'data-i18n-aria': 'pin.label',
    spellcheck: 'false',
  });
  const err = h('p.pin-error.form-error', { role: 'alert' });
  const key = (digit) =>
    h('button.pin-key', { type: 'button', dataset: { key: digit }, onclick: () => press(digit) }, digit);
  const ok = h('button.pin-key.pin-ok.primary', { type: 'submit', dataset: { key: 'ok' }, 'data-i18n': submitKey }, t(submitKey));
  const form = h(
    'form.pinpad',
    { novalidate: true, autocomplete: 'off' },
    input,
    err,
    h(
      'div.pin-keys',
      ...['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(key),
      h('button.pin-key.pin-back', { type: 'button', dataset: { key: 'back' }, 'aria-label': t('pin.back'), 'data-i18n-aria': 'pin.back', onclick: () => press('back') }, icon('backspace')),
      key('0'),
      ok,
    ),
  );

  function press(k) {
    err.textContent = '';
    if (k === 'back') input.value = input.value.slice(0, -1);
    else if (input.value.length < PIN_MAX) input.value += k;
    input.focus({ preventScroll: true });
  }
  // Only digits stay in the field, whatever is typed or pasted.
  input.addEventListener('input', () => {
    err.textContent = '';
    input.value = input.value.replace(/\D/g, '').slice(0, PIN_MAX);
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const pin = input.value;
    if (!validPin(pin)) {
      err.textContent = t('pin.format', { min: PIN_MIN, max: PIN_MAX });
      return;
    }
    ok.disabled = true;
    try {
      await submit(pin);
    } catch (x) {
      err.textContent = x && x.message ? x.message : t('err.generic');
      input.value = '';
    } finally {
      ok.disabled = false;
    }
  });

  return {
    el: form,
    clear() {
      input.value = '';
      err.textContent = '';
    },
    error(message) {
      err.textContent = message;
    },
    focus: () => input.focus({ preventScroll: true }),
    disable(off) {
      for (const b of form.querySelectorAll('button')) b.disabled = off;
      input.disabled = off;
    },
  };
}

// A modal PIN dialog (a manager's approval). `submit(pin)` resolves with the result, or throws
// an Error whose message is shown (a wrong PIN: try again). Resolves null when cancelled.
export function pinDialog({ title, help = '', submitKey, submit }) {
  return new Promise((resolve) => {
    let result = null;
    const pad = pinPad({
      submitKey,
      submit: async (pin) => {
        result = await submit(pin);
        dlg.close();
      },
    });
    const dlg = h(
      'dialog.dialog.pin-dialog',
      { 'aria-labelledby': 'pin-dialog-title' },
      h(
        'div.dialog-body',
        h('header.dlg-head', h('h2#pin-dialog-title', icon('key'), title), h('span.spacer'), h('button.ghost.icon-btn', { type: 'button', 'aria-label': t('common.cancel'), onclick: () => dlg.close() }, icon('x'))),
        help ? h('p.muted.pin-help', help) : null,
        pad.el,
        h('div.actions', h('button', { type: 'button', 'data-action': 'cancel', onclick: () => dlg.close() }, t('common.cancel'))),
      ),
    );
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    pad.focus();
  });
}

// What a 403 says about a manager's approval: 'required' (send it again with a manager's or
// owner's PIN), 'wrong_pin' (the PIN sent is no manager's), or null (some other refusal). The
// box names it in `error.approval`; answers without that field say it in their message only.
export function approvalState(e) {
  if (!e || e.status !== 403) return null;
  if (e.approval === 'required' || e.approval === 'wrong_pin') return e.approval;
  const m = e.message || '';
  if (/wrong approval PIN/i.test(m)) return 'wrong_pin';
  if (/approval_pin/.test(m)) return 'required';
  return null;
}

// Runs `send(pin)`: first without a PIN; when the box asks for a manager's approval, the
// "매니저 승인" pad opens on this screen and the action goes again with the PIN typed, until it
// is a manager's (a wrong one says so and waits for another) or the pad is cancelled.
// Resolves with send's answer, or null when cancelled; the first call's other errors are
// thrown, later ones show on the pad (`errText(e)` words them; errorText by default).
export async function withApproval({ send, help = '', submitKey = 'approve.go', errText = errorText }) {
  try {
    return await send(undefined);
  } catch (e) {
    if (approvalState(e) !== 'required') throw e;
  }
  return pinDialog({
    title: t('approve.title'),
    help,
    submitKey,
    submit: async (pin) => {
      try {
        return await send(pin);
      } catch (e) {
        if (approvalState(e)) throw new Error(t('approve.wrong'));
        throw new Error(errText(e));
      }
    },
  });
}
