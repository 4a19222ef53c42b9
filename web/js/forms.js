// Form dialogs of the dashboard's management pages, with field errors from the API shown
// beside the fields, and the translation fields (English, Japanese, Chinese) that menus use.
import { h, $, $$, icon, toast, errorText, showFieldErrors, clearFieldErrors } from './ui.js';
import { t, LANG_NAMES } from './i18n.js';

export const MAX_PRICE = 10_000_000;
export const bySort = (a, b) => a.sort_order - b.sort_order || a.id - b.id;
export const fieldError = (fields) => Object.assign(new Error(''), { fields });
// A management page's change: run(fn, overrides) runs `fn`, shows a failure as a toast
// (`overrides` go to errorText), and loads the page again either way.
export const changeThen = (load) => async (fn, overrides) => {
  try {
    await fn();
  } catch (e) {
    toast(errorText(e, overrides), 'error');
  }
  await load();
};
// The submit handler of a list's one-field "add" row (a new category, a new station): the
// name is required, `create(name)` saves it (a refusal shows beside the field), then the row
// is emptied and `after()` runs.
export const addByName = (create, after) => async (e) => {
  e.preventDefault();
  const form = e.target;
  clearFieldErrors(form);
  const name = form.elements.name.value.trim();
  if (!name) return showFieldErrors(form, fieldError({ name: t('v.required') }));
  try {
    await create(name);
    form.reset();
    await after();
  } catch (err) {
    showFieldErrors(form, err);
  }
};
// The languages staff translate into (the store's own text is Korean).
export const TR_LANGS = ['en', 'ja', 'zh'];

// A modal form. `submit(values)` may throw an API error; its field reasons appear
// beside the fields. Resolves with submit's result, or null when cancelled.
// Fields: {name, label, type: text|number|select|textarea|checkbox|file|custom|translations|row, …};
// a custom field brings its own `el` and `read()`; a row lays its `fields` side by side.
export function formDialog({ title, fields, submit, submitText = t('common.save'), wide = false }) {
  return new Promise((resolve) => {
    let result = null;
    const form = h(
      'form',
      { novalidate: true },
      h('h2', title),
      ...fields.map(fieldEl),
      h('p.form-error', { role: 'alert' }),
      h(
        'div.actions',
        h('button', { type: 'button', onclick: () => dlg.close() }, t('common.cancel')),
        h('button.primary', { type: 'submit' }, submitText),
      ),
    );
    const dlg = h('dialog.dialog', { class: wide ? 'form-wide' : '' }, form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearFieldErrors(form);
      const btn = $('button[type=submit]', form);
      btn.disabled = true;
      try {
        result = await submit(values(form, fields), form);
        dlg.close();
      } catch (err) {
        showFieldErrors(form, err);
        // A reason inside the folded translations must not stay hidden.
        for (const d of $$('details', form)) if ($('.invalid', d)) d.open = true;
        $('.invalid', form)?.scrollIntoView({ block: 'nearest' });
      } finally {
        btn.disabled = false;
      }
    });
    dlg.addEventListener('close', () => {
      dlg.remove();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

function fieldEl(f) {
  const attrs = { name: f.name, required: f.required, autocomplete: 'off', maxlength: f.maxlength };
  if (f.type === 'custom') return f.el;
  if (f.type === 'row') return h('div.field-row', ...f.fields.map(fieldEl));
  if (f.type === 'translations') return translationFields(f);
  if (f.type === 'select')
    return h(
      'label.field',
      h('span', f.label),
      h('select', attrs, ...f.options.map(([v, label]) => h('option', { value: v, selected: String(v) === String(f.value) }, label))),
      f.hint ? h('small.muted', f.hint) : null,
    );
  if (f.type === 'textarea') return h('label.field', h('span', f.label), h('textarea', { ...attrs, maxlength: f.maxlength || 500 }, f.value || ''));
  if (f.type === 'checkbox') return h('label.field.inline', h('input', { ...attrs, type: 'checkbox', checked: !!f.value }), h('span', f.label));
  if (f.type === 'file')
    return h('label.field', h('span', f.label), f.preview || null, h('input', { ...attrs, type: 'file', accept: f.accept }), f.hint ? h('small.muted', f.hint) : null);
  return h(
    'label.field',
    h('span', f.label),
    h('input', { ...attrs, type: f.type || 'text', value: f.value ?? '', min: f.min, max: f.max, step: f.step, inputmode: f.type === 'number' ? (f.min < 0 ? 'text' : 'numeric') : undefined }),
    f.hint ? h('small.muted', f.hint) : null,
  );
}

function values(form, fields, v = {}) {
  for (const f of fields) {
    if (f.type === 'row') {
      values(form, f.fields, v);
      continue;
    }
    if (f.type === 'custom') {
      v[f.name] = f.read();
      continue;
    }
    if (f.type === 'translations') {
      v[f.name] = readTranslations(form, f.description);
      continue;
    }
    const el = form.elements[f.name];
    if (f.type === 'checkbox') v[f.name] = el.checked;
    else if (f.type === 'file') v[f.name] = el.files[0] || null;
    else v[f.name] = el.value.trim();
  }
  return v;
}

export function checkPrice(raw, fields) {
  const n = Number(raw);
  if (raw === '' || !Number.isInteger(n) || n < 0 || n > MAX_PRICE) fields.price = t('v.price');
  return n;
}

// ---------- translations ----------

// English, Japanese and Chinese names (and descriptions for items), folded away under a
// summary that says which languages are filled in. Inputs are named like the API's
// fields ("translations.en.name"), so its reasons land beside them.
function translationFields({ value = {}, description = false, maxlength = 50 }) {
  const filled = TR_LANGS.filter((l) => value[l] && value[l].name);
  return h(
    'details.tr-fields',
    h(
      'summary',
      h('span', t('tr.title')),
      h('span.tr-state', filled.length ? filled.map((l) => l.toUpperCase()).join(' · ') : t('tr.none')),
    ),
    h('p.muted.tr-help', t('tr.help')),
    ...TR_LANGS.map((l) =>
      h(
        'fieldset.tr-lang',
        { dataset: { lang: l } },
        h('legend', LANG_NAMES[l]),
        h('label.field', h('span', t('menu.name')), h('input', { name: `translations.${l}.name`, value: value[l]?.name || '', maxlength, autocomplete: 'off', lang: l })),
        description
          ? h('label.field', h('span', t('menu.description')), h('textarea', { name: `translations.${l}.description`, maxlength: 1000, rows: 2, lang: l }, value[l]?.description || ''))
          : null,
      ),
    ),
  );
}

function readTranslations(form, description) {
  const out = {};
  for (const l of TR_LANGS) {
    const name = form.elements[`translations.${l}.name`].value.trim();
    const desc = description ? form.elements[`translations.${l}.description`].value.trim() : '';
    out[l] = { name, description: desc };
  }
  return out;
}

// The API's translations from the form's: a language counts when it has a name; a
// description without a name is an error on the name field.
export function translationsBody(raw, errs) {
  const body = {};
  for (const l of TR_LANGS) {
    const { name, description } = raw[l];
    if (!name && description) errs[`translations.${l}.name`] = t('tr.nameNeeded');
    if (!name) continue;
    body[l] = description ? { name, description } : { name };
  }
  return body;
}

// A short line of the translated names ("EN Spice level · JA 辛さ"), or null.
export function translationsLine(tr) {
  const parts = TR_LANGS.filter((l) => tr && tr[l] && tr[l].name).map((l) => `${l.toUpperCase()} ${tr[l].name}`);
  return parts.length ? h('small.muted.tr-line', parts.join(' · ')) : null;
}

// The guests' languages (besides the store's own) a name is missing in, and the flag the admin
// lists show for it ("번역 없음: EN · JA"): guests reading those see the store's own name.
const GUEST_LANGS = ['en', 'ja', 'zh'];
export const missingLangs = (tr) => GUEST_LANGS.filter((l) => !(tr && tr[l] && String(tr[l].name || '').trim()));
export function missingChip(tr) {
  const missing = missingLangs(tr);
  if (!missing.length) return null;
  return h('small.missing-tr', { dataset: { missing: missing.join(' ') }, title: t('menu.missingTrHelp') }, icon('globe'), t('menu.missingTr', { langs: missing.map((l) => l.toUpperCase()).join(' · ') }));
}
