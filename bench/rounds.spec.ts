import { requestsOfEach, SCENARIOS, scenarioNamed } from './scenarios';
import { inAlternatingRounds } from './variants';

describe('the bench tools’ shared steps', () => {
  it('should turn the order by one each round, so each server takes each place once', async () => {
    const order: string[] = [];
    await inAlternatingRounds(['service', 'ceiling', 'peer'], 3, (server, round) => {
      order.push(`${round}:${server}`);
      return Promise.resolve();
    });
    expect(order).toEqual([
      '0:service',
      '0:ceiling',
      '0:peer',
      '1:ceiling',
      '1:peer',
      '1:service',
      '2:peer',
      '2:service',
      '2:ceiling',
    ]);
  });

  it('should find a scenario by name, and name the others when there is none', () => {
    expect(scenarioNamed('write-pair').name).toBe('write-pair');
    expect(() => scenarioNamed('page-2')).toThrow(
      `no scenario page-2: ${SCENARIOS.map((scenario) => scenario.name).join(', ')}`,
    );
  });

  it('should refuse a server that does not answer the scenario', async () => {
    // The peer has no show route: show-include has no requests for it.
    await expect(
      requestsOfEach(scenarioNamed('show-include'), [{ name: 'peer', port: 1 }], 'token'),
    ).rejects.toThrow('peer does not answer show-include');
  });

  it('should prepare each server’s requests, keyed by server', async () => {
    const requests = await requestsOfEach(
      scenarioNamed('page-1'),
      [
        { name: 'service', port: 1 },
        { name: 'ceiling', port: 2 },
      ],
      'token',
    );
    expect([...requests.keys()]).toEqual(['service', 'ceiling']);
    expect(requests.get('service')).toEqual([{ method: 'GET', path: '/api/image', headers: {} }]);
  });
});
