// Japanese and English: the user's choice (kept in localStorage — a preference, not a
// secret), else the browser's language. Dates in the tenant's time zone (Asia/Tokyo until
// the viewer says otherwise).
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

export function formatTime(iso: string | null | undefined, zone = 'Asia/Tokyo'): string {
  if (!iso) return '—';
  return new Intl.DateTimeFormat(i18n.language === 'ja' ? 'ja-JP' : 'en-GB', {
    dateStyle: 'medium',
    timeStyle: 'medium',
    timeZone: zone,
  }).format(new Date(iso));
}

export default i18n;

/** Minor units of `currency` (yen for JPY) in the user's language. */
export function formatMoney(amount: number, currency = 'JPY'): string {
  const f = new Intl.NumberFormat(i18n.language === 'ja' ? 'ja-JP' : 'en-GB', { style: 'currency', currency, currencyDisplay: 'narrowSymbol' });
  const digits = f.resolvedOptions().maximumFractionDigits ?? 0;
  return f.format(amount / 10 ** digits);
}
