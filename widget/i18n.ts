// The picker's texts: English built in and complete (the type says so), French built in, and any
// other language through `translations`. Numbers, sizes, speeds and plurals are formatted by
// the browser's Intl for the chosen language, so no table needs its own number rules.
import type { MessageKey, Translation } from './api.js';

export const en: Record<MessageKey, string> = {
  title: 'Upload files',
  close: 'Close',
  sources: 'Sources',
  source_local: 'My Device',
  source_url: 'Link',
  source_dropbox: 'Dropbox',
  'source_google-drive': 'Google Drive',
  source_onedrive: 'OneDrive',
  source_box: 'Box',
  drop_title: 'Drop files here',
  drop_hint: 'or paste them, or',
  drop_active: 'Drop to add',
  browse: 'Browse files',
  link_label: 'Link to a file',
  link_hint: 'The file is fetched from its site when your app asks for it; nothing is stored.',
  link_add: 'Add link',
  link_invalid: 'Enter a web link that starts with http:// or https://.',
  connect_intro: 'Pick files from your {source} account. You will sign in to {source} in a new window.',
  connect: 'Connect {source}',
  connecting: 'Waiting for {source}… Finish signing in in the window that opened.',
  connect_cancel: 'Cancel',
  popup_blocked: 'The sign-in window was blocked. Allow pop-ups for this site and try again.',
  popup_closed: 'The sign-in window was closed before you connected.',
  disconnect: 'Sign out',
  breadcrumbs: 'Folders',
  loading: 'Loading…',
  load_more: 'Load more',
  empty_folder: 'This folder is empty.',
  folder_label: 'Files in {name}',
  not_accepted: 'not accepted',
  pick_one: 'Add {count} file',
  pick_other: 'Add {count} files',
  pick_none: 'Add files',
  selected_none: 'Select files to add them.',
  queue_label: 'Selected files',
  remove: 'Remove {name}',
  cancel_file: 'Cancel {name}',
  retry_file: 'Retry {name}',
  status_ready: 'Ready to upload',
  status_queued: 'Waiting…',
  status_uploading: '{percent} · {speed}',
  status_adding: 'Adding…',
  status_done: 'Uploaded',
  status_canceled: 'Cancelled',
  upload_one: 'Upload {count} file',
  upload_other: 'Upload {count} files',
  uploading: 'Uploading…',
  cancel_all: 'Cancel all',
  retry_failed: 'Retry all',
  done: 'Done',
  overall: '{done} of {total} done · {percent}',
  overall_label: 'Overall progress',
  summary_done_one: '{count} file uploaded.',
  summary_done_other: '{count} files uploaded.',
  summary_failed: '{count} did not upload.',
  need_min_one: 'Add at least {count} file.',
  need_min_other: 'Add at least {count} files.',
  limit_max_files: 'You can add at most {count} files, so “{name}” was not added.',
  limit_type: '“{name}” is not an accepted type (accepted: {accept}).',
  limit_size: '“{name}” is {size}; files may be at most {max}.',
  vetoed: '“{name}” was not added.',
  rule_max_files: 'Up to {count} files',
  rule_max_size: 'at most {max} each',
  rule_accept: '{accept}',
  announce_added_one: '{name} added.',
  announce_added_other: '{count} files added.',
  announce_uploaded: '{name} uploaded.',
  announce_failed: '{name} failed: {error}',
  error_network: 'The connection was lost. Check your network and try again.',
  error_canceled: 'The upload was cancelled.',
  error_default: 'The upload failed ({code}).',
  error_too_large: 'This file is larger than this site accepts.',
  error_too_small: 'This file is smaller than this site requires.',
  error_policy: 'This site’s permission to upload is missing or has expired. Reload the page and try again.',
  error_app: 'This picker is not set up correctly: Ferry does not know its app key.',
  error_origin_not_allowed: 'This site is not allowed to upload to this Ferry.',
  error_rate_limited: 'Too many requests right now. Wait a moment, then retry.',
  error_storage: 'Storage is unavailable right now. Try again in a minute.',
  error_origin_failed: 'The file’s site did not answer properly. Try again later.',
  error_origin_not_found: 'Nothing was found there. The file may have been moved or deleted.',
  error_origin_rejected: 'The file’s site refused to send it.',
  error_blocked_address: 'That link points into a private network, which is not allowed.',
  error_invalid_url: 'That is not a web link Ferry can fetch.',
  error_account: 'Your connection has expired. Connect again.',
  error_denied: 'Access was not granted, so there is nothing to show. Connect again to choose files.',
  error_source_not_enabled: 'This source is not enabled for this site.',
  error_invalid_filename: 'This file name cannot be used: it contains characters that are not allowed.',
  error_server: 'Something went wrong on the server. Try again.',
  error_file_expired: 'This file has expired.',
  error_upload_damaged: 'The file did not arrive intact. Try again.',
};

export const fr: Translation = {
  title: 'Envoyer des fichiers',
  close: 'Fermer',
  sources: 'Sources',
  source_local: 'Mon appareil',
  source_url: 'Lien',
  drop_title: 'Déposez des fichiers ici',
  drop_hint: 'ou collez-les, ou',
  drop_active: 'Déposez pour ajouter',
  browse: 'Parcourir',
  link_label: 'Lien vers un fichier',
  link_hint: 'Le fichier est lu sur son site quand votre application le demande ; rien n’est conservé.',
  link_add: 'Ajouter le lien',
  link_invalid: 'Saisissez un lien web qui commence par http:// ou https://.',
  connect_intro: 'Choisissez des fichiers dans votre compte {source}. Vous vous connecterez à {source} dans une nouvelle fenêtre.',
  connect: 'Connecter {source}',
  connecting: 'En attente de {source}… Terminez la connexion dans la fenêtre ouverte.',
  connect_cancel: 'Annuler',
  popup_blocked: 'La fenêtre de connexion a été bloquée. Autorisez les fenêtres pop-up pour ce site et réessayez.',
  popup_closed: 'La fenêtre de connexion a été fermée avant la fin.',
  disconnect: 'Se déconnecter',
  breadcrumbs: 'Dossiers',
  loading: 'Chargement…',
  load_more: 'Afficher plus',
  empty_folder: 'Ce dossier est vide.',
  folder_label: 'Fichiers de {name}',
  not_accepted: 'non accepté',
  pick_one: 'Ajouter {count} fichier',
  pick_other: 'Ajouter {count} fichiers',
  pick_none: 'Ajouter',
  selected_none: 'Sélectionnez des fichiers pour les ajouter.',
  queue_label: 'Fichiers choisis',
  remove: 'Retirer {name}',
  cancel_file: 'Annuler {name}',
  retry_file: 'Réessayer {name}',
  status_ready: 'Prêt à envoyer',
  status_queued: 'En attente…',
  status_adding: 'Ajout…',
  status_done: 'Envoyé',
  status_canceled: 'Annulé',
  upload_one: 'Envoyer {count} fichier',
  upload_other: 'Envoyer {count} fichiers',
  uploading: 'Envoi en cours…',
  cancel_all: 'Tout annuler',
  retry_failed: 'Tout réessayer',
  done: 'Terminé',
  overall: '{done} sur {total} · {percent}',
  overall_label: 'Progression totale',
  summary_done_one: '{count} fichier envoyé.',
  summary_done_other: '{count} fichiers envoyés.',
  summary_failed: '{count} n’ont pas été envoyés.',
  need_min_one: 'Ajoutez au moins {count} fichier.',
  need_min_other: 'Ajoutez au moins {count} fichiers.',
  limit_max_files: 'Vous pouvez ajouter au plus {count} fichiers : « {name} » n’a pas été ajouté.',
  limit_type: '« {name} » n’est pas d’un type accepté (acceptés : {accept}).',
  limit_size: '« {name} » fait {size} ; la taille maximale est {max}.',
  vetoed: '« {name} » n’a pas été ajouté.',
  rule_max_files: 'Jusqu’à {count} fichiers',
  rule_max_size: '{max} au plus chacun',
  announce_added_one: '{name} ajouté.',
  announce_added_other: '{count} fichiers ajoutés.',
  announce_uploaded: '{name} envoyé.',
  announce_failed: 'Échec de {name} : {error}',
  error_network: 'La connexion a été perdue. Vérifiez votre réseau et réessayez.',
  error_canceled: 'L’envoi a été annulé.',
  error_default: 'L’envoi a échoué ({code}).',
  error_too_large: 'Ce fichier est plus gros que ce que ce site accepte.',
  error_too_small: 'Ce fichier est plus petit que ce que ce site exige.',
  error_policy: 'L’autorisation d’envoi de ce site manque ou a expiré. Rechargez la page et réessayez.',
  error_app: 'Ce sélecteur est mal configuré : Ferry ne connaît pas sa clé d’application.',
  error_origin_not_allowed: 'Ce site n’est pas autorisé à envoyer des fichiers à ce Ferry.',
  error_rate_limited: 'Trop de demandes pour le moment. Patientez un instant, puis réessayez.',
  error_storage: 'Le stockage est indisponible pour le moment. Réessayez dans une minute.',
  error_origin_failed: 'Le site du fichier n’a pas répondu correctement. Réessayez plus tard.',
  error_origin_not_found: 'Rien n’a été trouvé là. Le fichier a peut-être été déplacé ou supprimé.',
  error_origin_rejected: 'Le site du fichier a refusé de l’envoyer.',
  error_blocked_address: 'Ce lien mène à un réseau privé, ce qui n’est pas permis.',
  error_invalid_url: 'Ce n’est pas un lien web que Ferry peut lire.',
  error_account: 'Votre connexion a expiré. Connectez-vous à nouveau.',
  error_denied: 'L’accès n’a pas été accordé : rien à afficher. Connectez-vous à nouveau pour choisir des fichiers.',
  error_source_not_enabled: 'Cette source n’est pas activée pour ce site.',
  error_invalid_filename: 'Ce nom de fichier ne peut pas être utilisé : il contient des caractères interdits.',
  error_server: 'Un problème est survenu sur le serveur. Réessayez.',
  error_file_expired: 'Ce fichier a expiré.',
  error_upload_damaged: 'Le fichier n’est pas arrivé intact. Réessayez.',
};

export const BUILT_IN: Record<string, Translation> = { en, fr };

export type Params = Record<string, string | number>;

export interface Translator {
  readonly lang: string;
  t(key: MessageKey, params?: Params): string;
  /** For `_one`/`_other` pairs: `plural('upload', 3)`. */
  plural(base: string, count: number, params?: Params): string;
  bytes(n: number): string;
  speed(bytesPerSecond: number): string;
  percent(fraction: number): string;
  date(iso: string): string;
}

/** The first of `wanted` (then "en") that has a table, matching "fr-CA" to "fr". */
function resolveLang(wanted: string | undefined, tables: Record<string, Translation>): string {
  const candidates = [wanted, typeof document !== 'undefined' ? document.documentElement.lang : undefined, typeof navigator !== 'undefined' ? navigator.language : undefined];
  for (const c of candidates) {
    if (!c) continue;
    const lower = c.toLowerCase();
    if (tables[lower]) return lower;
    const base = lower.split('-')[0]!;
    if (tables[base]) return base;
    // An explicit choice wins over the page's language even if we only know its base.
    if (c === wanted) break;
  }
  return 'en';
}

export function translator(wanted: string | undefined, extra: Record<string, Translation> = {}): Translator {
  const tables: Record<string, Translation> = { ...BUILT_IN };
  for (const [k, v] of Object.entries(extra)) tables[k.toLowerCase()] = { ...tables[k.toLowerCase()], ...v };
  const lang = resolveLang(wanted, tables);
  const table = { ...en, ...tables.en, ...tables[lang] } as Record<string, string>;
  const locale = safeLocale(lang);
  const plurals = new Intl.PluralRules(locale);
  const fill = (text: string, params: Params = {}) =>
    text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  const number = (n: number, unit: string, digits: number) =>
    new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: digits }).format(n);
  const bytes = (n: number, suffix = '') => {
    const units = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'];
    let i = 0;
    let v = n;
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    // "11 bytes" reads better than "11 byte"; larger units read best short ("1.2 MB").
    if (i === 0) return new Intl.NumberFormat(locale, { style: 'unit', unit: 'byte' + suffix, unitDisplay: 'long' }).format(v);
    return number(v, units[i]! + suffix, v < 10 ? 1 : 0);
  };
  return {
    lang,
    t: (key, params) => fill(table[key] ?? key, params),
    plural(base, count, params = {}) {
      const category = plurals.select(count);
      const text = table[`${base}_${category}`] ?? table[`${base}_other`] ?? base;
      return fill(text, { count: new Intl.NumberFormat(locale).format(count), ...params });
    },
    bytes: (n) => bytes(n),
    speed: (n) => bytes(n, '-per-second'),
    percent: (f) => new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 0 }).format(f),
    date: (iso) => new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }).format(new Date(iso)),
  };
}

function safeLocale(lang: string): string {
  try {
    return Intl.getCanonicalLocales(lang)[0] ?? 'en';
  } catch {
    return 'en';
  }
}
