/**
 * A value as a configuration error may show it: the user and password of every URL in it as `…`
 * (a start-up line ends up in logs; found by a probe).
 */
export function hideCredentials(value: string): string {
  return value.replace(/\/\/[^/@]*@/g, '//…@');
}
