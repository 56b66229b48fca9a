import { describe, expect, it } from 'vitest';

import { crumbsFor } from './breadcrumbs';

describe('crumbsFor', () => {
  it('names each page', () => {
    expect(crumbsFor('/workspaces')).toEqual([{ label: 'Workspaces' }]);
    expect(crumbsFor('/agent')).toEqual([{ label: 'Agent' }]);
    expect(crumbsFor('/nowhere')).toEqual([]);
  });

  it('names the settings section, linking back to the settings', () => {
    expect(crumbsFor('/settings/agents')).toEqual([{ label: 'Settings', to: '/settings' }, { label: 'Coding agents' }]);
    expect(crumbsFor('/settings/nope')).toEqual([{ label: 'Settings' }]);
  });

  it('links back up from a workspace tab', () => {
    expect(crumbsFor('/workspaces/my-box/sessions')).toEqual([
      { label: 'Workspaces', to: '/workspaces' },
      { label: 'my-box', to: '/workspaces/my-box/terminal' },
      { label: 'Sessions' },
    ]);
  });

  it('links back to the list from a conversation', () => {
    expect(crumbsFor('/workspaces/my-box/sessions/0b7c')).toEqual([
      { label: 'Workspaces', to: '/workspaces' },
      { label: 'my-box', to: '/workspaces/my-box/terminal' },
      { label: 'Sessions', to: '/workspaces/my-box/sessions' },
      { label: 'Conversation' },
    ]);
  });

  it("names the agent of a peer's workspace and links within it", () => {
    expect(crumbsFor('/agents/closet/workspaces/my-box/sessions/0b7c')).toEqual([
      { label: 'Workspaces', to: '/workspaces' },
      { label: 'closet', to: '/workspaces' },
      { label: 'my-box', to: '/agents/closet/workspaces/my-box/terminal' },
      { label: 'Sessions', to: '/agents/closet/workspaces/my-box/sessions' },
      { label: 'Conversation' },
    ]);
  });
});
