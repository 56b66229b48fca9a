import type { AgentInfo, DindMode } from '@perry/client';
import { Boxes, Clock, Container, Cpu, Server, ShieldCheck, Tag, type LucideIcon } from 'lucide-react';
import { useEffect, useState, type ReactNode } from 'react';

import { PageHeader } from '@/components/layout/page-header';
import { ErrorState } from '@/components/states';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDuration } from '@/lib/format';

import { useAgentConfig, useAgentInfo } from './api';
import { engineKind, engineNoun, engineVersion } from './engine';
import { PhoneQrCard } from './phone-qr';
import { PeersCard } from '@/features/fleet/peers-card';
import { ChannelsCard } from '@/features/attention/channels-card';

const DIND_MODES: Record<DindMode, { label: string; hint: string }> = {
  privileged: { label: 'Privileged', hint: 'Workspaces run as --privileged containers.' },
  capabilities: { label: 'Capabilities', hint: 'The runtime refused --privileged; workspaces get an explicit capability set.' },
};

export function AgentPage() {
  const info = useAgentInfo();
  const config = useAgentConfig();
  const uptime = useTickingUptime(info.data, info.dataUpdatedAt);

  return (
    <div className="grid gap-6">
      <PageHeader title="Agent" description={`The Perry daemon serving this page, and ${engineNoun(info.data)} it drives.`} />
      {info.isError && !info.data ? (
        <ErrorState title="Could not reach the agent" error={info.error} onRetry={() => void info.refetch()} />
      ) : (
        <div className="grid gap-4 sm:grid-cols-2 xl:grid-cols-3">
          <Stat icon={Tag} label="Version" value={info.data && <span className="font-mono">{info.data.version}</span>} />
          <Stat icon={Server} label="Hostname" value={info.data && <span className="font-mono break-all">{info.data.hostname}</span>} />
          <Stat icon={Clock} label="Uptime" value={info.data && formatDuration(uptime)} />
          <Stat icon={Boxes} label="Workspaces" value={info.data?.workspacesCount} />
          <Stat
            icon={Container}
            label="Engine"
            value={
              info.data &&
              (engineVersion(info.data) ? (
                <span className="font-mono" title={info.data.engine?.location}>
                  {engineKind(info.data)} {engineVersion(info.data)}
                </span>
              ) : (
                <Badge variant="warning">{engineKind(info.data)} not answering</Badge>
              ))
            }
          />
          <Stat
            icon={ShieldCheck}
            label="Docker-in-Docker mode"
            value={
              info.data &&
              (info.data.dindMode ? (
                DIND_MODES[info.data.dindMode].label
              ) : (
                <span className="text-muted-foreground">Not probed yet</span>
              ))
            }
            hint={info.data && (info.data.dindMode ? DIND_MODES[info.data.dindMode].hint : 'Found out when the first workspace starts.')}
          />
        </div>
      )}

      <Card>
        <CardHeader>
          <CardTitle className="flex items-center gap-2">
            <Cpu className="size-4 text-muted-foreground" aria-hidden /> Configuration
          </CardTitle>
          <CardDescription>From the agent’s config.json, with the port it listens on (the token is never sent).</CardDescription>
        </CardHeader>
        <CardContent>
          {config.isError ? (
            <ErrorState title="Could not load the configuration" error={config.error} onRetry={() => void config.refetch()} />
          ) : (
            <dl className="grid gap-x-8 gap-y-4 text-sm sm:grid-cols-2 lg:grid-cols-3">
              <Fact label="Port" value={config.data?.port} />
              <Fact label="Workspace image" value={config.data && <span className="font-mono">{config.data.imageTag}</span>} />
              <Fact label="Container prefix" value={config.data && <span className="font-mono">{config.data.workspacePrefix}</span>} />
              <Fact label="SSH ports" value={config.data && `${config.data.sshPortRange.start}–${config.data.sshPortRange.end}`} />
              <Fact label="Authentication" value={config.data && (config.data.authEnabled ? 'Token required' : 'Off')} />
              <Fact label="Worker" value={config.data && (config.data.worker ?? <span className="text-muted-foreground">Not set</span>)} />
            </dl>
          )}
        </CardContent>
      </Card>
      <PeersCard />
      <ChannelsCard />
      <PhoneQrCard />
    </div>
  );
}

/** The engine's kind; agents from before `engine` only knew Docker. */
function Stat({ icon: Icon, label, value, hint }: { icon: LucideIcon; label: string; value: ReactNode; hint?: string | undefined }) {
  return (
    <Card className="gap-2 py-4">
      <CardHeader className="flex-row items-center justify-between px-4">
        <h2 className="text-sm text-muted-foreground">{label}</h2>
        <Icon className="size-4 text-muted-foreground" aria-hidden />
      </CardHeader>
      <CardContent className="px-4">
        <div className="text-lg font-semibold">
          {value ?? <Skeleton className="h-7 w-28" />}
        </div>
        {hint && <p className="mt-1 text-xs text-muted-foreground">{hint}</p>}
      </CardContent>
    </Card>
  );
}

function Fact({ label, value }: { label: string; value: ReactNode }) {
  return (
    <div className="grid gap-1">
      <dt className="text-muted-foreground">{label}</dt>
      <dd className="font-medium">{value ?? <Skeleton className="h-5 w-24" />}</dd>
    </div>
  );
}

/** The uptime the agent reported, advanced every second between polls. */
function useTickingUptime(info: AgentInfo | undefined, fetchedAt: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (!info) return 0;
  return info.uptime + Math.max(0, (now - fetchedAt) / 1000);
}
