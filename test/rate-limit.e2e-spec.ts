import { JWT_VERIFICATION } from '../src/auth/auth.constants';
import type { JwtVerification } from '../src/auth/jwt-verification';
import { Permission } from '../src/auth/permissions';
import { countRows } from './helpers/image-rows';
import { describeEachDatabase } from './helpers/test-app';
import { bearer, signTestToken } from './helpers/tokens';

const LIMIT = 3;
const TOO_MANY = { message: 'Too Many Attempts.' };

describeEachDatabase(
  `rate limiting (RATE_LIMIT_PER_MINUTE=${LIMIT})`,
  (context) => {
    const token = (sub: string) => bearer(signTestToken({ sub }));

    it('should count anonymous reads per IP, say what is left, then answer 429 with Retry-After', async () => {
      const nowSeconds = () => Math.floor(Date.now() / 1000);
      const started = nowSeconds();
      for (let request = 1; request <= LIMIT; request += 1) {
        const response = await context().http().get('/api/image').expect(200);
        expect(response.headers['x-ratelimit-limit']).toBe(String(LIMIT));
        expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - request));
        // Epoch seconds (API.md section 10), not the throttler's seconds-from-now.
        const reset = Number(response.headers['x-ratelimit-reset']);
        expect(reset).toBeGreaterThanOrEqual(started);
        expect(reset).toBeLessThanOrEqual(nowSeconds() + 61);
      }
      const refused = await context().http().get('/api/image').expect(429);
      expect(refused.body).toEqual(TOO_MANY);
      expect(refused.headers['content-type']).toMatch(/^application\/json/);
      expect(refused.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      const retryAfter = Number(refused.headers['retry-after']);
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      // The 429 says when (epoch seconds) the budget has room again: Retry-After from now.
      const reset = Number(refused.headers['x-ratelimit-reset']);
      expect(Number.isInteger(reset)).toBe(true);
      expect(Math.abs(reset - (nowSeconds() + retryAfter))).toBeLessThanOrEqual(1);
    });

    // Found by a black-box probe: it was the end of a fixed 60-s period begun by the client's first
    // request, so two answers a second apart could name times 40 s apart.
    it('should set X-RateLimit-Reset on an answer within the limit to a window after that request', async () => {
      const dana = token('dana');
      const first = await context().http().get('/api/image').set('Authorization', dana).expect(200);
      await new Promise((wait) => setTimeout(wait, 2100));
      const before = Math.ceil(Date.now() / 1000);
      const second = await context()
        .http()
        .get('/api/image')
        .set('Authorization', dana)
        .expect(200);
      const after = Math.ceil(Date.now() / 1000);
      const firstReset = Number(first.headers['x-ratelimit-reset']);
      const secondReset = Number(second.headers['x-ratelimit-reset']);
      expect(secondReset).toBeGreaterThanOrEqual(before + 60);
      expect(secondReset).toBeLessThanOrEqual(after + 60);
      expect(secondReset - firstReset).toBeGreaterThanOrEqual(2);
      expect(second.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 2));
    });

    it('should answer 429 before 401: an exhausted IP without a token is refused before auth', async () => {
      const response = await context()
        .http()
        .post('/api/image')
        .send({ path: 'a.jpg', facet: 'Cover' })
        .expect(429);
      expect(response.body).toEqual(TOO_MANY);
    });

    it('should count an invalid token against the IP, so made-up subs escape nothing', async () => {
      const forged = bearer(signTestToken({ sub: 'mallory', key: 'x'.repeat(40) }));
      const response = await context()
        .http()
        .get('/api/image')
        .set('Authorization', forged)
        .expect(429);
      expect(response.body).toEqual(TOO_MANY);
    });

    it('should give each valid token sub its own budget, shared by reads and writes', async () => {
      const alice = token('alice');
      for (let request = 1; request < LIMIT; request += 1) {
        const response = await context().http().get('/api/image').set('Authorization', alice);
        expect(response.status).toBe(200);
        expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - request));
      }
      const created = await context()
        .http()
        .post('/api/image')
        .set('Authorization', alice)
        .send({ path: 'limited/a.jpg', facet: 'Cover' })
        .expect(201);
      expect(created.headers['x-ratelimit-remaining']).toBe('0');

      const before = await countRows(context().dataSource, 'images');
      const refused = await context()
        .http()
        .post('/api/image')
        .set('Authorization', alice)
        .send({ path: 'limited/b.jpg', facet: 'Cover' })
        .expect(429);
      expect(refused.body).toEqual(TOO_MANY);
      expect(await countRows(context().dataSource, 'images')).toBe(before);

      // Another token of the same alice (new iat, other permissions) is the same client.
      const aliceAgain = bearer(
        signTestToken({ sub: 'alice', permissions: [Permission.DeleteImage] }),
      );
      await context().http().get('/api/image').set('Authorization', aliceAgain).expect(429);

      // Bob, from the same IP, still has his whole budget.
      const bob = await context().http().get('/api/image').set('Authorization', token('bob'));
      expect(bob.status).toBe(200);
      expect(bob.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
    });

    it('should limit the unprefixed restore and force delete spellings too', async () => {
      const carol = token('carol');
      for (let request = 1; request <= LIMIT; request += 1) {
        await context()
          .http()
          .patch('/restore/image/999999')
          .set('Authorization', carol)
          .expect(404);
      }
      const response = await context()
        .http()
        .delete('/forceDelete/image/999999')
        .set('Authorization', carol)
        .expect(429);
      expect(response.body).toEqual(TOO_MANY);
    });

    it('should leave /health out of the limit', async () => {
      for (let request = 0; request < LIMIT * 3; request += 1) {
        const response = await context().http().get('/health').expect(200);
        expect(response.headers['x-ratelimit-limit']).toBeUndefined();
      }
    });
  },
  { env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } },
);

/** Its own app: the IP's budget must not be spent by the tests above. */
describeEachDatabase(
  `one token verification per request (RATE_LIMIT_PER_MINUTE=${LIMIT})`,
  (context) => {
    const token = (sub: string) => bearer(signTestToken({ sub }));

    it("should verify a write's token once for the limiter and the route guard together", async () => {
      const verification = context().app.get<JwtVerification>(JWT_VERIFICATION);
      const keyFor = jest.spyOn(verification, 'keyFor');
      try {
        const response = await context()
          .http()
          .post('/api/image')
          .set('Authorization', token('dave'))
          .send({ path: 'limit/once.png', facet: 'Cover' })
          .expect(201);
        expect(response.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
        expect(keyFor).toHaveBeenCalledTimes(1);
      } finally {
        keyFor.mockRestore();
      }
    });

    it.each([
      ['junk after the token', (raw: string) => `Bearer ${raw} junk`],
      ['a lower-case scheme', (raw: string) => `bearer ${raw}`],
      ['two spaces', (raw: string) => `Bearer  ${raw}`],
    ])(
      'should treat an Authorization with %s as no token: 401, counted against the IP',
      async (_what, authorization) => {
        const raw = signTestToken({ sub: `erin-${authorization('x')}` });
        const refused = await context()
          .http()
          .post('/api/image')
          .set('Authorization', authorization(raw))
          .send({ path: 'limit/junk.png', facet: 'Cover' })
          .expect(401);
        expect(refused.body).toEqual({ message: 'Unauthenticated.' });
        // erin's own budget is untouched.
        const accepted = await context()
          .http()
          .get('/api/image')
          .set('Authorization', bearer(raw))
          .expect(200);
        expect(accepted.headers['x-ratelimit-remaining']).toBe(String(LIMIT - 1));
      },
    );
  },
  { env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) } },
);

describeEachDatabase('rate limiting off (RATE_LIMIT_PER_MINUTE=0)', (context) => {
  it('should neither count nor refuse, and send no rate-limit headers', async () => {
    for (let request = 0; request < 20; request += 1) {
      const response = await context().http().get('/api/image').expect(200);
      expect(response.headers['x-ratelimit-limit']).toBeUndefined();
      expect(response.headers['x-ratelimit-remaining']).toBeUndefined();
    }
  });
});
