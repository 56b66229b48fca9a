import { activeAgent, forgetAgent, NO_AGENTS, parseSavedAgents, saveAgent, selectAgent } from '../src/agents/saved-agents';

const a = { url: 'http://a:7391', token: 'ta', hostname: 'a' };
const b = { url: 'http://b:7391', token: 'tb', hostname: 'b' };

describe('saved agents', () => {
  it('keeps several agents with one active, the last saved', () => {
    const saved = saveAgent(saveAgent(NO_AGENTS, a), b);
    expect(saved.agents).toHaveLength(2);
    expect(activeAgent(saved)).toEqual(b);
    expect(activeAgent(selectAgent(saved, a.url))).toEqual(a);
  });

  it('replaces an agent saved again at the same address (a new token)', () => {
    const saved = saveAgent(saveAgent(NO_AGENTS, a), { ...a, token: 'new' });
    expect(saved.agents).toEqual([{ ...a, token: 'new' }]);
  });

  it('makes another agent active when the active one is forgotten', () => {
    const saved = forgetAgent(saveAgent(saveAgent(NO_AGENTS, a), b), b.url);
    expect(activeAgent(saved)).toEqual(a);
    expect(forgetAgent(saved, a.url)).toEqual(NO_AGENTS);
  });

  it('survives a round trip through storage and ignores what it cannot read', () => {
    const saved = saveAgent(saveAgent(NO_AGENTS, a), b);
    expect(parseSavedAgents(JSON.stringify(saved))).toEqual(saved);
    expect(parseSavedAgents('{not json')).toEqual(NO_AGENTS);
    expect(parseSavedAgents(null)).toEqual(NO_AGENTS);
    expect(parseSavedAgents(JSON.stringify({ agents: [{ url: 1 }], active: 'x' }))).toEqual(NO_AGENTS);
  });
});
