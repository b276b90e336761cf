// The widget's only stylesheet, adopted into its shadow root: nothing leaks out to the host
// page and nothing of the page's styles leaks in (`:host { all: initial }`). System fonts only;
// colours meet WCAG AA contrast in both schemes; dark mode and reduced motion follow the user's
// system settings. Layout adapts to the widget's own width (container queries), so the inline
// picker in a narrow column behaves like the modal on a phone: there, once files are chosen, the
// drop zone folds into a one-line "add more" bar and the list takes the room. Below 600 px of
// screen the modal is a full-height sheet. Touch-only devices (no hover, coarse pointer) are
// not told to drop or paste, which they cannot.
export const CSS = `
:host { all: initial; display: block; }
.root {
  --bg: #ffffff; --fg: #1b1f24; --muted: #59606b; --line: #dce0e5; --soft: #f3f5f7; --softer: #f8f9fa;
  --accent: #2152d1; --accent-fg: #ffffff; --accent-soft: #e8efff; --danger: #b42318; --danger-soft: #fdecea;
  --ok: #137a37; --focus: #2152d1; --backdrop: rgba(14, 17, 22, 0.56); --shadow: 0 24px 64px rgba(0, 0, 0, 0.28);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--fg); color-scheme: light dark; -webkit-font-smoothing: antialiased;
}
@media (prefers-color-scheme: dark) {
  .root {
    --bg: #1a1d22; --fg: #e9ebee; --muted: #a8afb9; --line: #343a43; --soft: #23272d; --softer: #1f2227;
    --accent: #86a8ff; --accent-fg: #0b1220; --accent-soft: #233052; --danger: #ff9a8f; --danger-soft: #3a2021;
    --ok: #74d793; --focus: #86a8ff; --backdrop: rgba(0, 0, 0, 0.66); --shadow: 0 24px 64px rgba(0, 0, 0, 0.6);
  }
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.icon { fill: none; stroke: currentColor; stroke-width: 1.8; stroke-linecap: round; stroke-linejoin: round; flex: none; }
:focus { outline: none; }
:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
button, input { font: inherit; color: inherit; }
p { margin: 0; }

.backdrop { position: fixed; inset: 0; background: var(--backdrop); display: grid; place-items: center; padding: 16px; animation: fade 0.15s ease-out; }
.dialog {
  position: relative; background: var(--bg); color: var(--fg); width: min(880px, 100%); height: min(600px, 100%);
  border-radius: 14px; box-shadow: var(--shadow); display: flex; flex-direction: column; overflow: hidden;
  container-type: inline-size; animation: rise 0.18s ease-out;
}
.inline .dialog { width: 100%; height: 100%; min-height: 420px; border: 1px solid var(--line); box-shadow: none; animation: none; }
@keyframes fade { from { opacity: 0; } }
@keyframes rise { from { opacity: 0; transform: translateY(8px) scale(0.99); } }

.head { display: flex; align-items: center; justify-content: space-between; gap: 12px; padding: 12px 12px 12px 20px; border-bottom: 1px solid var(--line); }
.head h2 { margin: 0; font-size: 16px; font-weight: 650; letter-spacing: -0.01em; }
.body { flex: 1 1 auto; display: flex; min-height: 0; }
.tabs { flex: none; width: 184px; display: flex; flex-direction: column; gap: 2px; padding: 10px 8px; background: var(--softer); border-right: 1px solid var(--line); overflow: auto; }
.tab {
  display: flex; align-items: center; gap: 10px; width: 100%; padding: 9px 10px; border: 0; border-radius: 8px;
  background: none; text-align: left; cursor: pointer; white-space: nowrap; color: var(--fg);
}
.tab:hover { background: var(--soft); }
.tab[aria-selected="true"] { background: var(--accent-soft); color: var(--accent); font-weight: 600; }
.main { flex: 1 1 auto; display: flex; flex-direction: column; min-width: 0; min-height: 0; }
.pane { flex: 1 1 auto; min-height: 150px; display: flex; flex-direction: column; padding: 16px 20px; overflow: auto; }

.btn {
  display: inline-flex; align-items: center; justify-content: center; gap: 6px; min-height: 36px; padding: 7px 14px;
  border: 1px solid var(--line); border-radius: 8px; background: var(--bg); color: var(--fg); cursor: pointer;
  font-weight: 500; white-space: nowrap;
}
.btn:hover { background: var(--soft); }
.btn.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-fg); font-weight: 600; }
.btn.primary:hover { filter: brightness(1.08); }
.btn:disabled, .btn[aria-disabled="true"] { opacity: 0.55; cursor: not-allowed; filter: none; }
.icon-btn { display: inline-grid; place-items: center; width: 34px; height: 34px; border: 0; border-radius: 8px; background: none; color: var(--muted); cursor: pointer; flex: none; }
.icon-btn:hover { background: var(--soft); color: var(--fg); }
.link-btn { border: 0; background: none; padding: 2px 4px; border-radius: 4px; color: var(--accent); cursor: pointer; }
.link-btn:hover { text-decoration: underline; }

.drop {
  flex: 1 1 auto; display: flex; flex-direction: column; align-items: center; justify-content: center; gap: 8px;
  padding: 24px; border: 2px dashed var(--line); border-radius: 12px; text-align: center; color: var(--muted);
  transition: border-color 0.15s, background-color 0.15s;
}
.drop.over { border-color: var(--accent); background: var(--accent-soft); color: var(--accent); }
.drop .big { color: var(--accent); }
.drop-title, .touch-title { font-size: 17px; font-weight: 600; color: var(--fg); }
.touch-title { display: none; }
.rules { margin-top: 6px; font-size: 12.5px; }

.field { display: flex; flex-direction: column; gap: 8px; max-width: 560px; }
.field label { font-weight: 600; }
.field-row { display: flex; gap: 8px; }
.field-row input { flex: 1; min-width: 0; min-height: 36px; padding: 7px 10px; border: 1px solid var(--line); border-radius: 8px; background: var(--bg); }
.field-row input[aria-invalid="true"] { border-color: var(--danger); }
.hint { color: var(--muted); font-size: 12.5px; }
.error-text { color: var(--danger); }

.connect { margin: auto; max-width: 380px; display: flex; flex-direction: column; align-items: center; gap: 14px; text-align: center; }
.connect .big { color: var(--accent); }
.browser { flex: 1 1 auto; display: flex; flex-direction: column; min-height: 0; gap: 8px; }
.bar-top { display: flex; align-items: center; gap: 8px; }
.crumbs { flex: 1; min-width: 0; }
.crumbs ol { display: flex; flex-wrap: wrap; align-items: center; gap: 2px; margin: 0; padding: 0; list-style: none; }
.crumbs li { display: flex; align-items: center; gap: 2px; color: var(--muted); }
.crumbs [aria-current="page"] { color: var(--fg); font-weight: 600; padding: 2px 4px; }
.rows { flex: 1 1 auto; margin: 0; padding: 0; list-style: none; border: 1px solid var(--line); border-radius: 10px; overflow: auto; min-height: 90px; }
.rows li { border-bottom: 1px solid var(--line); }
.rows li:last-child { border-bottom: 0; }
.row { display: flex; align-items: center; gap: 10px; width: 100%; min-height: 40px; padding: 6px 12px; border: 0; background: none; text-align: left; cursor: pointer; }
.row:hover { background: var(--soft); }
.name-cut { display: flex; min-width: 0; }
.name-cut > span { white-space: pre; overflow: hidden; }
.name-cut > .start { flex: 0 1 auto; min-width: 0; text-overflow: ellipsis; }
.name-cut > .end { flex: none; }
.row .name-cut { flex: 1; }
.row .meta { color: var(--muted); font-size: 12.5px; white-space: nowrap; }
.rows .row input { width: 16px; height: 16px; margin: 0; accent-color: var(--accent); flex: none; }
.row.off { cursor: not-allowed; color: var(--muted); }
.row .folder-icon { color: var(--accent); }
.rows .note { padding: 16px; color: var(--muted); text-align: center; }
.bar-bottom { display: flex; align-items: center; justify-content: space-between; gap: 8px; }

.messages { margin: 0 20px 10px; padding: 8px 12px; border-radius: 8px; background: var(--danger-soft); color: var(--danger); display: flex; gap: 8px; align-items: flex-start; }
.messages ul { margin: 0; padding: 0; list-style: none; flex: 1; }
.messages li + li { margin-top: 2px; }

.queue-wrap { flex: 0 1 auto; max-height: 40%; overflow: auto; border-top: 1px solid var(--line); }
.queue { margin: 0; padding: 0; list-style: none; }
.item { display: grid; grid-template-columns: 36px minmax(0, 1fr) auto; align-items: center; gap: 12px; padding: 6px 12px 6px 20px; border-bottom: 1px solid var(--line); }
.item:last-child { border-bottom: 0; }
.thumb { width: 36px; height: 36px; border-radius: 8px; background: var(--soft); display: grid; place-items: center; overflow: hidden; color: var(--muted); }
.thumb img { width: 100%; height: 100%; object-fit: cover; display: block; }
.item .name-cut { font-weight: 550; }
.item .sub { display: flex; gap: 6px; color: var(--muted); font-size: 12.5px; min-width: 0; }
.item .sub > span { flex: none; white-space: nowrap; }
.item .sub > .status { flex: 0 1 auto; min-width: 0; overflow: hidden; text-overflow: ellipsis; }
.item[data-status="failed"] .status { color: var(--danger); white-space: normal; }
.item[data-status="done"] .status { color: var(--ok); }
.actions { display: flex; gap: 2px; }
.ok-mark { color: var(--ok); display: inline-grid; place-items: center; width: 34px; height: 34px; }
.progress { height: 6px; margin-top: 5px; border-radius: 3px; background: var(--soft); overflow: hidden; }
.progress .fill { height: 100%; width: 0; border-radius: 3px; background: var(--accent); transition: width 0.2s linear; }
.item[data-status="done"] .fill { background: var(--ok); }
.item[data-status="failed"] .fill, .item[data-status="canceled"] .fill { background: var(--muted); }
.progress.indeterminate .fill { width: 35%; animation: slide 1.1s ease-in-out infinite; }
@keyframes slide { from { transform: translateX(-100%); } to { transform: translateX(290%); } }

.foot { display: flex; align-items: center; gap: 12px; padding: 12px 16px 12px 20px; border-top: 1px solid var(--line); background: var(--bg); }
.foot .info { flex: 1; min-width: 0; display: flex; flex-direction: column; gap: 4px; color: var(--muted); font-size: 13px; }
.foot .overall .progress { margin-top: 0; max-width: 320px; }
.foot .buttons { display: flex; gap: 8px; }
.spinner { width: 18px; height: 18px; border-radius: 50%; border: 2px solid var(--line); border-top-color: var(--accent); animation: spin 0.8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
.loading { display: flex; gap: 8px; align-items: center; justify-content: center; padding: 16px; color: var(--muted); }

/* Files chosen, on a wide picker: the zone keeps its words and button but not its big icon, and
   gives the list what it does not need; with a few files it still fills the pane. (Narrow
   pickers fold it into a one-line bar below.) */
.has-files[data-source="local"] .pane { min-height: min-content; }
.has-files[data-source="local"] .queue-wrap { max-height: none; }
.has-files .drop > .big { display: none; }

@container (max-width: 620px) {
  .body { flex-direction: column; }
  .tabs { width: auto; flex-direction: row; padding: 6px 8px; border-right: 0; border-bottom: 1px solid var(--line); overflow-x: auto; }
  .tab { width: auto; padding: 7px 10px; }
  .pane { padding: 12px; }
  .item { padding-left: 12px; }
  .foot { flex-wrap: wrap; padding-left: 12px; }
  .foot .info { flex-basis: 100%; }
  .foot .buttons { margin-left: auto; }
  /* The compact bar: the zone keeps its dashed border and stays a drop target, one line high. */
  .has-files[data-source="local"] .pane { flex: none; min-height: 0; padding-bottom: 0; overflow: visible; }
  .has-files[data-source="local"] .queue-wrap { flex: 1 1 auto; max-height: none; margin-top: 12px; }
  .has-files .drop { flex: none; flex-direction: row; justify-content: flex-start; gap: 12px; padding: 8px 10px; border-width: 1.5px; border-radius: 10px; text-align: left; }
  .has-files .drop > .big, .has-files .drop-title, .has-files .touch-title, .has-files .drop-hint { display: none; }
  .has-files .rules { margin: 0; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
}
@media (max-width: 599.98px) {
  .modal .backdrop { padding: 0; }
  .modal .dialog { width: 100%; height: 100%; border-radius: 0; box-shadow: none; }
}
@media (max-height: 560px) {
  .drop { padding: 12px; gap: 6px; }
  .drop > .big { display: none; }
}
@media (hover: none) and (pointer: coarse) {
  .drop-title, .drop-hint { display: none; }
  /* The compact bar's rule (in the container query above) outranks this one: no title there. */
  .touch-title { display: block; }
}
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { animation: none !important; transition: none !important; }
  .progress.indeterminate .fill { width: 100%; opacity: 0.5; }
}
@media (forced-colors: active) {
  .progress .fill { background: Highlight; }
  .tab[aria-selected="true"] { outline: 2px solid Highlight; }
}
`;
