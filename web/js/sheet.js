// The item sheet on the tablet: a large photo, the full description, the item's option
// groups (radio buttons for pick-one, checkboxes for pick-several), a quantity stepper, a
// note, and an add button with the line total. It also edits a cart line's choices.
import { h, $, won, delta, icon } from './ui.js';
import { t } from './i18n.js';
import { MAX_QTY, NOTE_MAX, cleanNote, countIn, choicesOk, findOption, unitPrice } from './cart.js';

// dialog: the <dialog> to fill.
// onSubmit({item, optionIds, note, qty, replaces}): `replaces` is the key of the cart line
// being edited, or null for a new line.
export function itemSheet({ dialog, onSubmit }) {
  let item = null;
  let chosen = []; // option ids in the order they were picked
  let qty = 1;
  let note = '';
  let replaces = null;
  let shown = ''; // the item as last drawn, to redraw only when the menu really changed

  dialog.addEventListener('close', () => {
    item = null;
    shown = '';
  });

  function open(it, line = null) {
    item = it;
    replaces = line ? line.key : null;
    const ids = line ? line.options.map((o) => o.id) : [];
    chosen = ids.filter((id) => findOption(it, id)?.option.available);
    qty = line ? line.qty : 1;
    note = line ? line.note : '';
    draw();
    if (!dialog.open) dialog.showModal();
    // The sheet itself takes the focus: no keyboard pops up for the note field, and no focus
    // ring appears on the close button of a touch screen.
    dialog.focus();
    for (const el of dialog.querySelectorAll('.isheet-main, .isheet-about, .isheet-content')) el.scrollTop = 0;
  }

  // The menu changed (a sold-out option, another language): redraw with what is still offered.
  function refresh(findItem) {
    if (!item || !dialog.open) return;
    const next = findItem(item.id);
    if (!next) return dialog.close();
    item = next;
    chosen = chosen.filter((id) => findOption(next, id)?.option.available);
    draw();
  }

  function draw() {
    const key = JSON.stringify([item, t('sheet.add')]);
    if (key === shown) return sync();
    shown = key;
    const soldOut = !item.available;
    const photo = item.image_url
      ? h('img', { src: item.image_url, alt: '', decoding: 'async', onerror: (e) => e.target.replaceWith(placeholder()) })
      : placeholder();
    dialog.replaceChildren(
      h(
        'div.sheet-head.isheet-head',
        h('h2.isheet-name', item.name),
        h('button.ghost.icon-btn', { type: 'button', 'data-close': '', 'aria-label': t('common.close'), title: t('common.close') }, icon('x')),
      ),
      h(
        'div.isheet-main',
        h(
          'div.isheet-about',
          h('div.isheet-photo', photo, soldOut ? h('span.badge.soldout-badge', t('menu.soldOut')) : null),
          h('p.isheet-price', won(item.price)),
          item.description ? h('p.isheet-desc', item.description) : null,
        ),
        h('div.isheet-content', ...(item.option_groups || []).map(groupEl), noteEl()),
      ),
      h(
        'div.isheet-foot',
        h('p.isheet-hint', { role: 'status' }),
        h(
          'div.stepper.isheet-qty',
          { role: 'group', 'aria-label': t('sheet.quantity') },
          h('button.icon-btn', { type: 'button', 'data-action': 'less', 'aria-label': t('cart.less'), onclick: () => setQty(qty - 1) }, icon('minus')),
          h('span.qty', { 'aria-live': 'polite' }),
          h('button.icon-btn', { type: 'button', 'data-action': 'more', 'aria-label': t('cart.more'), onclick: () => setQty(qty + 1) }, icon('plus')),
        ),
        h('button.primary.big.isheet-add', { type: 'button', 'data-action': 'add', onclick: submit }),
      ),
    );
    sync();
  }

  function groupEl(g) {
    const single = g.max === 1;
    const headId = `og-${g.id}`;
    return h(
      'div.ogroup',
      { role: single ? 'radiogroup' : 'group', 'aria-labelledby': headId, dataset: { groupId: g.id } },
      h(
        'div.ogroup-head',
        { id: headId },
        h('span.ogroup-name', g.name),
        g.min >= 1 ? h('span.ogroup-tag.req', icon('check'), h('span', t('sheet.required'))) : null,
        g.min > 1 ? h('span.ogroup-tag', t('sheet.atLeast', { n: g.min })) : null,
        g.max > 1 ? h('span.ogroup-tag', t('sheet.upTo', { n: g.max })) : null,
      ),
      h(
        'div.opts',
        ...g.options.map((o) =>
          h(
            'label.opt',
            { class: o.available ? '' : 'soldout', dataset: { optionId: o.id } },
            h('input', {
              type: single ? 'radio' : 'checkbox',
              name: `g${g.id}`,
              value: o.id,
              disabled: !o.available,
              onclick: (e) => choose(g, o, e.target),
              // Arrow keys move between radio buttons without a click.
              onchange: (e) => e.target.checked !== chosen.includes(o.id) && choose(g, o, e.target),
            }),
            h('span.opt-mark', { class: single ? 'radio' : 'check' }, single ? null : icon('check')),
            h('span.opt-name', o.name),
            o.available ? null : h('span.badge.soldout-badge', t('menu.soldOut')),
            h('span.opt-price', o.price_delta ? delta(o.price_delta) : ''),
          ),
        ),
      ),
    );
  }

  function noteEl() {
    const count = h('small.note-count');
    const input = h('input', {
      type: 'text',
      name: 'note',
      maxlength: NOTE_MAX,
      value: note,
      placeholder: t('sheet.notePlaceholder'),
      autocomplete: 'off',
      enterkeyhint: 'done',
      oninput: (e) => {
        note = e.target.value;
        count.textContent = `${[...note].length}/${NOTE_MAX}`;
      },
      onkeydown: (e) => e.key === 'Enter' && e.target.blur(),
    });
    count.textContent = `${[...note].length}/${NOTE_MAX}`;
    return h('label.isheet-note', h('span.isheet-note-head', icon('note'), h('span', t('sheet.note')), count), input);
  }

  // One tap on a radio picks it (and on the picked one of an optional group, clears it);
  // checkboxes stop at the group's max.
  function choose(g, o, input) {
    const had = chosen.includes(o.id);
    if (g.max === 1) {
      chosen = chosen.filter((id) => !g.options.some((x) => x.id === id));
      if (!had || g.min > 0) chosen.push(o.id);
    } else if (had) chosen = chosen.filter((id) => id !== o.id);
    else if (countIn(g, chosen) < g.max) chosen.push(o.id);
    input.checked = chosen.includes(o.id);
    sync();
  }

  function setQty(n) {
    qty = Math.max(1, Math.min(MAX_QTY, n));
    sync();
  }

  // Brings the inputs, tags, stepper and add button in line with the choices.
  function sync() {
    for (const g of item.option_groups || []) {
      const box = $(`.ogroup[data-group-id="${g.id}"]`, dialog);
      if (!box) continue;
      const n = countIn(g, chosen);
      const full = g.max > 1 && n >= g.max;
      box.classList.toggle('met', n >= g.min);
      box.classList.toggle('full', full);
      for (const input of box.querySelectorAll('input')) {
        const o = g.options.find((x) => x.id === Number(input.value));
        input.checked = chosen.includes(o.id);
        input.disabled = !o.available || (full && !input.checked);
        input.closest('.opt').classList.toggle('on', input.checked);
      }
    }
    const ok = item.available && choicesOk(item, chosen);
    $('.isheet-qty .qty', dialog).textContent = qty;
    $('[data-action=less]', dialog).disabled = qty <= 1;
    $('[data-action=more]', dialog).disabled = qty >= MAX_QTY;
    const add = $('.isheet-add', dialog);
    add.disabled = !ok;
    const total = won(unitPrice(item, chosen) * qty);
    add.replaceChildren(
      !item.available ? t('menu.soldOut') : t(replaces ? 'sheet.update' : 'sheet.add', { price: total }),
    );
    $('.isheet-hint', dialog).textContent = item.available && !ok ? t('sheet.chooseRequired') : '';
  }

  function submit() {
    if (!item || !item.available || !choicesOk(item, chosen)) return;
    const picked = [];
    // Options in the menu's order, whatever the order they were tapped in.
    for (const g of item.option_groups || []) for (const o of g.options) if (chosen.includes(o.id)) picked.push(o.id);
    onSubmit({ item, optionIds: picked, note: cleanNote(note), qty, replaces });
    dialog.close();
  }

  return { open, refresh, close: () => dialog.open && dialog.close(), isOpen: () => dialog.open && item != null };
}

const placeholder = () => h('div.ph', icon('bowl'));
