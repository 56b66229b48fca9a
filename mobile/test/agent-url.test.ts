import { agentHost, parseAgentAddress } from '../src/agents/agent-url';

describe('parseAgentAddress', () => {
  it.each([
    ['devbox', 'http://devbox:7391'],
    ['devbox:8000', 'http://devbox:8000'],
    ['  100.64.0.2:7391/ ', 'http://100.64.0.2:7391'],
    ['http://devbox:80', 'http://devbox:80'],
    ['https://perry.example.com', 'https://perry.example.com'],
    ['[fd7a:115c::1]:7391', 'http://[fd7a:115c::1]:7391'],
  ])('reads %j as %s', (input, url) => {
    expect(parseAgentAddress(input)).toEqual({ url, token: null });
  });

  it('takes the token from the sign-in URL the agent prints', () => {
    expect(parseAgentAddress('http://devbox:7391/?token=abc123')).toEqual({ url: 'http://devbox:7391', token: 'abc123' });
  });

  it('keeps https and the port of the URL an agent serving TLS prints', () => {
    expect(parseAgentAddress('https://box.tail1234.ts.net:7391/?token=abc123')).toEqual({
      url: 'https://box.tail1234.ts.net:7391',
      token: 'abc123',
    });
  });

  it.each([
    ['', /Enter the agent's address/],
    ['ftp://devbox', /Use http:\/\/ or https:\/\//],
    ['http://', /not an address/],
  ])('refuses %j', (input, message) => {
    const parsed = parseAgentAddress(input);
    expect('error' in parsed && parsed.error).toMatch(message);
  });

  it('gives the host for the SSH command', () => {
    expect(agentHost('http://devbox:7391')).toBe('devbox');
  });
});
