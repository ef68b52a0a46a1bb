// Volume discount (JavaScript port of plugins/examples/volume-discount): a contract with at
// least `min_lines` lines gets `percent` % off the plan's and options' monthly fees (business
// customers only unless `individuals = true`); from `tier2_lines` lines the rate is
// `tier2_percent`. Usage charges are not discounted.
//
// Config: `min_lines` (default 5), `percent` (default 5), `tier2_lines` (default 50),
// `tier2_percent` (default 10), `individuals` (default false).
//
// Mapping of the WIT (tsunagi:plugins@0.1.0, world `pricing`) to JS, as componentize-js does
// it: record fields are camelCase (`lineCount`, `customerKind`), enums are their kebab-case
// names as strings ('discount', 'info'), s64/u64 are BigInt, u32 is a Number. An exported
// `result<T, string>` returns T for ok; throwing a *string* gives err(string). Throwing
// anything else (an Error, a TypeError from a bug) makes the component trap with only
// "expected a string, received [object]" on stderr, so `price` turns errors into strings.

import { log } from 'tsunagi:plugins/log@0.1.0';

function setting(settings, key) {
  const s = settings.find((s) => s.key === key);
  return s === undefined ? undefined : s.value;
}

function num(settings, key, dflt) {
  const v = setting(settings, key);
  if (v === undefined) return BigInt(dflt);
  // Same acceptance as Rust's `i64::from_str` restricted to n >= 0: an optional '+', then
  // ASCII digits only, no surrounding space; in range for i64.
  if (/^\+?[0-9]+$/.test(v)) {
    const n = BigInt(v);
    if (n <= 9223372036854775807n) return n;
  }
  throw `config \`${key}\`: ${JSON.stringify(v)} is not a non-negative integer`;
}

export function price(input) {
  try {
    return rule(input);
  } catch (e) {
    throw typeof e === 'string' ? e : `internal error: ${e && e.message ? e.message : String(e)}`;
  }
}

function rule(input) {
  const c = input.config;
  const minLines = num(c, 'min_lines', 5);
  const percent = num(c, 'percent', 5);
  const tier2Lines = num(c, 'tier2_lines', 50);
  const tier2Percent = num(c, 'tier2_percent', 10);
  if (percent > 100n || tier2Percent > 100n) {
    throw 'config `percent`/`tier2_percent`: at most 100';
  }
  const individuals = setting(c, 'individuals') === 'true';
  const lines = BigInt(input.contract.lineCount);
  if (lines < minLines || (input.contract.customerKind !== 'business' && !individuals)) {
    return [];
  }
  const rate = lines >= tier2Lines ? tier2Percent : percent;
  let fees = 0n;
  for (const l of input.lines) {
    if (l.code.startsWith('plan:') || l.code.startsWith('option:')) fees += l.amount;
  }
  // Rust's `/` on i64 truncates toward zero, as BigInt division does.
  const amount = (fees * rate) / 100n;
  if (amount === 0n) return [];
  log('info', `${lines} lines: ${rate}% off ${fees}`);
  return [
    {
      kind: 'discount',
      code: 'volume-discount',
      reason: `Volume discount ${rate}% (${lines} lines)`,
      amount: -amount,
    },
  ];
}
