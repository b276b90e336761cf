// The Link pane: one field for a web link, checked as the user submits it (./links.ts), with the
// error said next to the field and announced. A good link becomes a pick proposal; Ferry fetches
// it only once the user uploads.
import { h } from './dom.js';
import { nameFromUrl, parseLink } from './links.js';
import type { PaneContext } from './pane-context.js';
import { typeOf } from './restrictions.js';

export function linkPane(ctx: PaneContext): HTMLElement {
  const { t } = ctx;
  const input = h('input', {
    id: 'ferry-link',
    type: 'url',
    inputmode: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    placeholder: 'https://',
    'aria-describedby': 'ferry-link-hint',
  });
  const error = h('p', { class: 'error-text', id: 'ferry-link-error', hidden: true });
  const form = h(
    'form',
    { class: 'field', novalidate: true },
    h('label', { for: 'ferry-link', text: t.t('link_label') }),
    h('div', { class: 'field-row' }, input, h('button', { class: 'btn primary', type: 'submit' }, t.t('link_add'))),
    error,
    h('p', { class: 'hint', id: 'ferry-link-hint', text: t.t('link_hint') }),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const url = parseLink(input.value);
    if (!url) {
      error.textContent = t.t('link_invalid');
      error.hidden = false;
      error.setAttribute('role', 'alert');
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'ferry-link-error ferry-link-hint');
      input.focus();
      return;
    }
    error.hidden = true;
    input.removeAttribute('aria-invalid');
    input.setAttribute('aria-describedby', 'ferry-link-hint');
    input.value = '';
    const name = nameFromUrl(url);
    void ctx.add([{ name, size: null, type: typeOf(name), source: 'url', remote: { source: 'url', url: url.href } }]);
    input.focus();
  });
  return form;
}
