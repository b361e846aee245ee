// Intl formatters, made once per locale and options and reused. A formatter is an ICU object allocated outside
// the V8 heap and freed only when its wrapper is collected: the V8 heap does not see that memory, so a
// formatter made per call piles up between major collections (measured: 30,000 reminders formatting their
// dates with a new Intl.DateTimeFormat each grew the process by about 430 MB; one cached formatter, by none).
// Keys are few (our six locales × the zones in use × a handful of option sets); the maps are bounded anyway.
const MAX = 2000;

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function cached<F>(map: Map<string, F>, key: string, make: () => F): F {
  let f = map.get(key);
  if (!f) {
    if (map.size >= MAX) map.clear();
    f = make();
    map.set(key, f);
  }
  return f;
}

/** `new Intl.DateTimeFormat(locale, options)`, made once per locale and options. */
export function dateTimeFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached(dateFormats, `${locale}|${JSON.stringify(options)}`, () => new Intl.DateTimeFormat(locale, options));
}

/** `new Intl.NumberFormat(locale, options)`, made once per locale and options. */
export function numberFormat(locale: string, options: Intl.NumberFormatOptions = {}): Intl.NumberFormat {
  return cached(numberFormats, `${locale}|${JSON.stringify(options)}`, () => new Intl.NumberFormat(locale, options));
}
