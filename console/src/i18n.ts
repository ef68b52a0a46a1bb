// Japanese and English: the user's choice (kept in localStorage — a preference, not a
// secret), else the browser's language. Dates and money in the tenant's time zone and
// currency, from `viewer.formats` (Asia/Tokyo and JPY until it has answered).
import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import en from './locales/en.json';
import ja from './locales/ja.json';

const saved = localStorage.getItem('tsunagi.lang');
const browser = navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';

void i18n.use(initReactI18next).init({
  resources: { en: { translation: en }, ja: { translation: ja } },
  lng: saved === 'ja' || saved === 'en' ? saved : browser,
  fallbackLng: 'en',
  interpolation: { escapeValue: false },
});

i18n.on('languageChanged', (l) => {
  localStorage.setItem('tsunagi.lang', l);
  document.documentElement.lang = l;
});
document.documentElement.lang = i18n.language;

/** The tenant's formats, set by the shell from `viewer.formats`. */
export const formats = { timeZone: 'Asia/Tokyo', currency: 'JPY' };

export function setFormats(f: { timeZone: string; currency: string }) {
  formats.timeZone = f.timeZone;
  formats.currency = f.currency;
}

/** A `datetime-local` value (`2031-04-01T09:30`) read in the tenant's time zone, not the
 * browser's: the instant it names there. */
export function zonedTime(local: string, zone = formats.timeZone): Date {
  const [d = '', t = '00:00'] = local.split('T');
  const [y, mo, da] = d.split('-').map(Number);
  const [h, mi] = t.split(':').map(Number);
  const guess = Date.UTC(y, mo - 1, da, h, mi);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  // How far the zone's wall clock is ahead of UTC at an instant (twice: across a DST change).
  const offset = (at: number) => {
    const p = Object.fromEntries(parts.formatToParts(new Date(at)).map((x) => [x.type, x.value]));
    return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - at;
  };
  return new Date(guess - offset(guess - offset(guess)));
}

export function formatTime(iso: string | null | undefined, zone = formats.timeZone): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(i18n.language === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'medium',
    timeZone: zone,
  }).format(new Date(iso));
}

export default i18n;

/** Minor units of `currency` (yen for JPY) in the user's language. */
export function formatMoney(amount: number, currency = formats.currency): string {
  const f = new Intl.NumberFormat(i18n.language === 'ja' ? 'ja-JP' : 'en-GB', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 0;
  return f.format(amount / 10 ** digits);
}
