// Several saved agents as one list: each agent under its name with its health, the one that
// does not answer marked as such without holding up the others, and back once it answers.
import { act, fireEvent, screen } from 'expo-router/testing-library';

import { ALPHA, INFO, memoryStorage, renderApp, rpcError, rpcOk, TOKEN } from './helpers';

const HOME = 'http://home:7391';
const CLOSET = 'http://closet:7391';

function savedTwo(): string {
  return JSON.stringify({
    agents: [
      { url: HOME, token: TOKEN, hostname: 'home' },
      { url: CLOSET, token: TOKEN, hostname: 'closet' },
    ],
    active: HOME,
  });
}

describe('several agents', () => {
  it('lists every agent’s workspaces under it, marks the one that does not answer, and shows it again when it does', async () => {
    let closetUp = false;
    const fetchImpl = jest.fn(async (input: Request | string) => {
      const request = typeof input === 'string' ? new Request(input) : input;
      const url = new URL(request.url);
      const path = url.pathname.replace(/^\/rpc\//, '');
      if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return rpcError(401, 'UNAUTHORIZED', 'no');
      if (url.host === 'closet:7391' && !closetUp) throw new TypeError('Network request failed');
      const host = url.hostname;
      if (path === 'agent/info') return rpcOk({ ...INFO, hostname: host, workspacesCount: 1 });
      if (path === 'workspaces/list') return rpcOk([{ ...ALPHA, name: host === 'home' ? 'alpha' : 'far' }]);
      return rpcError(404, 'NOT_FOUND', path);
    });
    renderApp(memoryStorage({ 'perry.agents': savedTwo() }), fetchImpl as unknown as typeof fetch);

    expect(await screen.findByTestId('agent-http://home:7391-up')).toBeTruthy();
    expect(await screen.findByText('alpha')).toBeTruthy();
    expect(await screen.findByTestId('agent-http://closet:7391-unreachable')).toBeTruthy();
    expect(screen.getByText(/Cannot reach the Perry agent\. Is it running\? Its workspaces show again when it answers\./)).toBeTruthy();
    expect(screen.queryByText('far')).toBeNull();

    closetUp = true;
    expect(await screen.findByTestId('agent-http://closet:7391-up', {}, { timeout: 5_000 })).toBeTruthy();
    expect(await screen.findByText('far', {}, { timeout: 5_000 })).toBeTruthy();

    // A workspace opens on its own agent.
    await act(async () => {
      fireEvent.press(screen.getByLabelText('Workspace far on closet'));
    });
    expect(await screen.findByTestId('ssh-command')).toHaveTextContent('ssh -p 2201 workspace@closet');
  });
});
