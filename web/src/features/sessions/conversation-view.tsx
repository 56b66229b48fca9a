// Loaded lazily (React.lazy) from the sessions tab: only needed once a session is opened.
import type { SessionInfo } from '@perry/client';
import { ArrowLeft, MessageSquareDashed, SearchX } from 'lucide-react';
import { Link, useNavigate } from 'react-router';

import { CopyButton } from '@/components/copy-button';
import { EmptyState, ErrorState, LoadingState } from '@/components/states';
import { Button } from '@/components/ui/button';
import { errorCode, missingWorkspace, sessionSubtitle, sessionTitle } from '@perry/client';
import { useNow } from '@/lib/use-now';

import { AgentBadge } from './agents';
import { useTranscript } from './api';
import { Conversation } from './conversation';
import { hasOlder } from '@perry/client';
import { ResumeButton } from './resume-button';
import { SessionActions } from './session-actions';
import { SessionMeta } from './session-meta';
import { SessionStatusBadge } from '@/features/attention/status-badges';
import { useWorkspacePath } from '@/lib/api';

export interface ConversationViewProps {
  workspaceName: string;
  sessionId: string;
  /** The session as the live list knows it; undefined while the list loads or once it is gone. */
  session: SessionInfo | undefined;
  listLoaded: boolean;
  highlightId?: string | undefined;
}

/** One session: its header (title, tool, resume) over its messages. */
export default function ConversationView({ workspaceName, sessionId, session, listLoaded, highlightId }: ConversationViewProps) {
  const version = session ? `${session.messageCount}|${session.lastActivity}` : undefined;
  const { newest, transcript, loadOlder, loadingOlder, olderError } = useTranscript(workspaceName, sessionId, version);
  const now = useNow();
  const back = useWorkspacePath()(workspaceName, 'sessions');
  const gone = listLoaded && !session;
  const navigate = useNavigate();
  const subtitle = session ? sessionSubtitle(session) : null;

  let body;
  if (newest.isPending) {
    body = <LoadingState label="Loading messages…" className="flex-1" />;
  } else if (newest.isError && transcript.messages.length === 0) {
    body =
      missingWorkspace(newest.error) === workspaceName ? (
        <EmptyState icon={SearchX} title="This workspace no longer exists" className="m-3 flex-1">
          It was deleted, and its sessions with it.
        </EmptyState>
      ) : errorCode(newest.error) === 'NOT_FOUND' ? (
        <EmptyState icon={SearchX} title="This session no longer exists" className="m-3 flex-1">
          Its transcript was deleted or moved inside the workspace.
        </EmptyState>
      ) : (
        <ErrorState title="Could not load the conversation" error={newest.error} onRetry={() => void newest.refetch()} className="m-3 flex-1" />
      );
  } else if (transcript.messages.length === 0) {
    body = (
      <EmptyState icon={MessageSquareDashed} title="No messages yet" className="m-3 flex-1">
        Messages show up here as the agent writes them.
      </EmptyState>
    );
  } else {
    body = (
      <Conversation
        messages={transcript.messages}
        agent={session?.agent}
        hasOlder={hasOlder(transcript)}
        loadingOlder={loadingOlder}
        olderError={olderError}
        onLoadOlder={() => void loadOlder()}
        highlightId={highlightId}
        className="flex-1"
      />
    );
  }

  return (
    <section
      aria-label="Session"
      className="flex h-[calc(100dvh-7.5rem)] min-h-[24rem] flex-col overflow-hidden rounded-xl border bg-background md:h-auto md:min-h-0 md:flex-1"
    >
      <header className="grid grid-cols-[minmax(0,1fr)] gap-2 border-b bg-card px-3 py-3 sm:px-4">
        <div className="flex min-w-0 items-start gap-2">
          <Button variant="ghost" size="icon-sm" asChild className="-ml-1 shrink-0">
            <Link to={back} aria-label="All sessions" title="All sessions">
              <ArrowLeft />
            </Link>
          </Button>
          <div className="grid min-w-0 flex-1 gap-1.5 pt-1">
            <div className="flex min-w-0 flex-wrap items-center gap-2">
              {session && <AgentBadge agent={session.agent} />}
              {session && <SessionStatusBadge status={session.status} />}
              <h2 className="min-w-0 font-semibold break-words" title={session?.title}>
                {session ? sessionTitle(session) : gone ? 'Session' : 'Untitled session'}
              </h2>
            </div>
            {subtitle && (
              <p className="text-sm break-words text-muted-foreground" data-session-title>
                {subtitle}
              </p>
            )}
            {session?.status?.state === 'needs_input' && (
              <p className="text-sm text-warning">
                {session.status.detail ? `Waiting for you: ${session.status.detail}` : 'Waiting for your input'} — answer it in the terminal
                where the session runs.
              </p>
            )}
            {session && <SessionMeta session={session} now={now} />}
            {gone && !newest.isPending && <p className="text-xs text-muted-foreground">This session is no longer in the workspace's list.</p>}
          </div>
          {session && (
            <div className="hidden shrink-0 items-center gap-1 sm:flex">
              <CopyButton text={session.resumeCommand} label="Copy resume command" />
              <ResumeButton workspaceName={workspaceName} session={session} />
            </div>
          )}
          {session && <SessionActions workspaceName={workspaceName} session={session} onDeleted={() => navigate(back)} className="shrink-0" />}
        </div>
        {session && (
          <div className="flex items-center gap-1 sm:hidden">
            <code className="min-w-0 flex-1 truncate rounded-md border bg-muted/40 px-2 py-1.5 font-mono text-xs" title={session.resumeCommand}>
              {session.resumeCommand}
            </code>
            <CopyButton text={session.resumeCommand} label="Copy resume command" />
            <ResumeButton workspaceName={workspaceName} session={session} compact />
          </div>
        )}
      </header>
      {body}
    </section>
  );
}
