import type { RecentSession, SessionInfo } from './api.gen.ts';

/** The longest name the agent keeps (`sessions.rename`); a longer one it refuses in its words. */
export const SESSION_NAME_MAX = 200;

/**
 * What a session is called wherever it is shown: the name a person gave it, else the tool's
 * title (the agent's `SessionInfo::shown_title`).
 */
export function sessionTitle(session: Pick<SessionInfo, 'name' | 'title'>): string {
  return session.name?.trim() || session.title.trim() || 'Untitled session';
}

/** The tool's own title, shown beside a name a person gave, so the session is still known by it; null without a name. */
export function sessionSubtitle(session: Pick<SessionInfo, 'name' | 'title'>): string | null {
  const name = session.name?.trim();
  return name && session.title && session.title !== name ? session.title : null;
}

/** When a recent session was last touched: the later of its last message and its last opening (the agent's order). */
export function recentTime(recent: Pick<RecentSession, 'openedAt' | 'session'>): string {
  const { openedAt } = recent;
  const activity = recent.session.lastActivity;
  if (!openedAt) return activity;
  const [opened, active] = [Date.parse(openedAt), Date.parse(activity)];
  if (Number.isNaN(active)) return openedAt;
  return opened > active ? openedAt : activity;
}
