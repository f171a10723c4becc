/**
 * How many lines of the header `name` (lower case) a request sent, from Node's raw header list:
 * Node keeps the first of some repeated headers and joins others with `, `, so neither shows that
 * a header came twice.
 */
export function headerLineCount(rawHeaders: readonly string[] | undefined, name: string): number {
  let count = 0;
  if (rawHeaders === undefined) return count;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const line = rawHeaders[index];
    if (line.length === name.length && line.toLowerCase() === name) count += 1;
  }
  return count;
}
