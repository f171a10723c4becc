// A surrogate half without its partner: not a character (String#isWellFormed is ES2024).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** Whether `text` is well-formed UTF-16: no surrogate half without its partner. */
export function isWellFormed(text: string): boolean {
  return !ANY_SURROGATE.test(text) || !LONE_SURROGATE.test(text);
}

/** Length in Unicode code points, as `varchar(255)` in utf8mb4 counts it (an emoji is one). */
export function codePointLength(value: string): number {
  let length = 0;
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    // The high half of a pair counts; its low half does not (the string is well-formed here).
    if (code < 0xdc00 || code > 0xdfff) length += 1;
  }
  return length;
}
