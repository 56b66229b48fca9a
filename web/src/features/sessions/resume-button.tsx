import type { SessionInfo } from '@perry/client';
import { SquareTerminal } from 'lucide-react';
import { useNavigate } from 'react-router';

import { Button, type ButtonProps } from '@/components/ui/button';
import { openTerminalState } from '@/features/terminal/open-request';
import { cn, newId } from '@/lib/utils';

import { resumeTabTitle, resumeTerminalCommand } from '@perry/client';
import { useWorkspacePath } from '@/lib/api';

/**
 * Opens a terminal tab in the workspace that continues `session` (its resume command, in its
 * project directory) and switches to the Terminal tab with that tab focused.
 */
export function ResumeButton({
  workspaceName,
  session,
  compact = false,
  className,
  ...props
}: { workspaceName: string; session: SessionInfo; compact?: boolean } & Omit<ButtonProps, 'onClick' | 'children'>) {
  const navigate = useNavigate();
  const toWorkspace = useWorkspacePath();
  const disabled = !session.resumeCommand;
  return (
    <Button
      type="button"
      variant="outline"
      size="sm"
      disabled={disabled}
      aria-label="Resume in terminal"
      title={disabled ? 'This agent gave no resume command' : `Run ${session.resumeCommand} in a new terminal tab`}
      className={cn('relative z-10', className)}
      onClick={() =>
        void navigate(toWorkspace(workspaceName, 'terminal'), {
          state: openTerminalState({ id: newId(), title: resumeTabTitle(session), command: resumeTerminalCommand(session) }),
        })
      }
      {...props}
    >
      <SquareTerminal />
      {compact ? <span>Resume</span> : <span>Resume in terminal</span>}
    </Button>
  );
}
