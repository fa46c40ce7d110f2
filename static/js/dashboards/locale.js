// The reader's language in the charts. Texts go through Django's JavaScript catalogue (/jsi18n/, loaded by
// base.html with <script src> before any module: window.gettext, window.interpolate); if it could not load, the
// English text stays. Numbers and weekday names come from Intl in the page's language (<html lang>).

// (Under Node, where the chart builders are tested, there is no document: the defaults stand.)
const doc = globalThis.document;
const language = (doc && doc.documentElement.lang) || undefined;

export function gettext(text) {
  return typeof globalThis.gettext === "function" ? globalThis.gettext(text) : text;
}

// A translated text with %(name)s placeholders filled from values.
export function interpolate(text, values) {
  if (typeof globalThis.interpolate === "function") {
    return globalThis.interpolate(text, values, true);
  }
  return text.replace(/%\((\w+)\)s/g, (_match, name) => String(values[name]));
}

// Thousands always grouped, with the separators the page's tables use (Django's formats of the language, given
// by the page: "1 234,5" in French with a narrow no-break space, a no-break space in Russian and Spanish); Intl
// gives the digits, its own separators are replaced where the page names others.
const numbers = new Intl.NumberFormat(language, { maximumFractionDigits: 2, useGrouping: "always" });
const page = doc ? doc.getElementById("dashboard") : null;
const separators = {
  group: page && page.dataset.thousandSeparator,
  decimal: page && page.dataset.decimalSeparator,
};

// A figure as the reader writes it; a dash for none.
export function formatNumber(value) {
  if (value === null || value === undefined || value === "") {
    return "\u2013";
  }
  return numbers
    .formatToParts(value)
    .map((part) => (Object.hasOwn(separators, part.type) && separators[part.type] ? separators[part.type] : part.value))
    .join("");
}

// 1 = Monday ... 7 = Sunday (ISO), named in the reader's language (5 January 1970 was a Monday).
const weekdays = new Intl.DateTimeFormat(language, { weekday: "short", timeZone: "UTC" });
export function weekdayName(isoWeekday) {
  const day = Number(isoWeekday);
  if (!Number.isInteger(day) || day < 1 || day > 7) {
    return String(isoWeekday);
  }
  return weekdays.format(Date.UTC(1970, 0, 4 + day));
}
