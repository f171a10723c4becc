import { clientErrorStatus, rawErrorResponse } from './http-layer-errors';

const packet = (text: string) => Buffer.from(text, 'latin1');

describe('clientErrorStatus', () => {
  it('should take a request timeout for 408 and any other parser error for 400', () => {
    expect(clientErrorStatus({ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, undefined)).toBe(408);
    expect(clientErrorStatus({ code: 'HPE_INVALID_METHOD' }, packet('G(T / HTTP/1.1'))).toBe(400);
    expect(clientErrorStatus({ code: 'HPE_INVALID_HEADER_TOKEN' }, undefined)).toBe(400);
    expect(clientErrorStatus({}, undefined)).toBe(400);
  });

  it('should tell a request line that is too long (414) from headers that are (431)', () => {
    const overflow = { code: 'HPE_HEADER_OVERFLOW' };
    // The request line never ends within the packet, or ends past 8 KiB.
    expect(clientErrorStatus(overflow, packet(`GET /api/image?x=${'a'.repeat(20_000)}`))).toBe(414);
    expect(
      clientErrorStatus(overflow, packet(`POST /x?${'a'.repeat(9000)} HTTP/1.1\r\nHost: a\r\n`)),
    ).toBe(414);
    // A short request line, then big headers.
    expect(
      clientErrorStatus(overflow, packet(`GET / HTTP/1.1\r\nX-A: ${'b'.repeat(20_000)}`)),
    ).toBe(431);
    // A packet that does not start a request (the rest of a head sent in pieces) counts as headers.
    expect(clientErrorStatus(overflow, packet('b'.repeat(20_000)))).toBe(431);
    expect(clientErrorStatus(overflow, undefined)).toBe(431);
  });
});

describe('rawErrorResponse', () => {
  it('should be a whole HTTP answer in the contract shape that closes the connection', () => {
    expect(rawErrorResponse(431, 'id-1')).toBe(
      'HTTP/1.1 431 Request Header Fields Too Large\r\n' +
        'Content-Type: application/json; charset=utf-8\r\n' +
        'Content-Length: 46\r\n' +
        'Request-Id: id-1\r\n' +
        'Cache-Control: no-store\r\n' +
        'X-Content-Type-Options: nosniff\r\n' +
        'Referrer-Policy: no-referrer\r\n' +
        'X-Frame-Options: DENY\r\n' +
        'Connection: close\r\n' +
        '\r\n' +
        '{"message":"Request Header Fields Too Large."}',
    );
    expect(rawErrorResponse(400, 'id-2')).toContain(
      '\r\n\r\n{"message":"Malformed HTTP request."}',
    );
    expect(rawErrorResponse(408, 'id-3')).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });
});
