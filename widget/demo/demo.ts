// The first-run page's script (served inline at `/` with a per-response nonce): opens the picker
// against this Ferry and lists what comes back, with download links.
import type { FerryFile } from '../api.js';

interface DemoConfig {
  key: string | null;
}

const config = JSON.parse(document.getElementById('ferry-demo-config')!.textContent!) as DemoConfig;
const open = document.getElementById('open') as HTMLButtonElement;
const table = document.getElementById('files') as HTMLTableElement;
const empty = document.getElementById('empty')!;
const failed = document.getElementById('failed')!;
const key = config.key ?? 'YOUR_APP_KEY';

document.getElementById('snippet')!.textContent = `<script src="${location.origin}/picker.js"></script>
<script>
  const picker = Ferry.picker({
    key: '${key}',
    onUploadDone: ({ filesUploaded }) => console.log(filesUploaded),
  });
  picker.open();
</script>`;

const SOURCES: Record<string, string> = { local: 'My Device', url: 'Link', dropbox: 'Dropbox', 'google-drive': 'Google Drive', onedrive: 'OneDrive', box: 'Box' };

function size(n: number | null): string {
  if (n === null) return '—';
  const units = ['bytes', 'kB', 'MB', 'GB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function cell(content: string | Node, className?: string): HTMLTableCellElement {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.append(content);
  return td;
}

function show(file: FerryFile): void {
  const link = document.createElement('a');
  link.href = file.url;
  link.download = file.filename;
  link.textContent = file.filename;
  const row = document.createElement('tr');
  row.append(
    cell(link, 'name'),
    cell(size(file.size)),
    cell(SOURCES[file.source] ?? file.source),
    cell(new Date(file.expiresAt).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })),
  );
  table.tBodies[0]!.prepend(row);
  table.hidden = false;
  empty.hidden = true;
}

if (!config.key) {
  open.disabled = true;
  document.getElementById('no-key')!.hidden = false;
} else {
  const picker = window.Ferry.picker({
    key: config.key,
    endpoint: location.origin,
    onUploadDone: ({ filesUploaded, filesFailed }) => {
      filesUploaded.forEach(show);
      failed.textContent = filesFailed.length ? `${filesFailed.length} file(s) did not upload: ${filesFailed.map((f) => `${f.filename} (${f.error.message})`).join('; ')}` : '';
    },
  });
  open.addEventListener('click', () => void picker.open());
}
