import { serverLockName } from './server-lock';

describe('serverLockName', () => {
  it('should name the lock after its purpose and the database', () => {
    expect(serverLockName('outbox_relay', 'images')).toBe('image_api_outbox_relay.images');
  });

  it('should stay within the 64 characters of a MySQL lock name', () => {
    const name = serverLockName('outbox_relay', 'd'.repeat(64));
    expect(name).toHaveLength(55);
    expect(name).toBe(serverLockName('outbox_relay', 'd'.repeat(64)));
    expect(name).not.toBe(serverLockName('outbox_relay', `${'d'.repeat(63)}e`));
  });
});
