import { Bot, FileText, KeyRound, type LucideIcon, Plug, ScrollText, ShieldCheck, Sparkles, SquareTerminal, Variable } from 'lucide-react';

export type SettingsSectionId = 'environment' | 'files' | 'agents' | 'scripts' | 'skills' | 'mcp' | 'ssh' | 'security' | 'terminal';

export interface SettingsSection {
  id: SettingsSectionId;
  label: string;
  icon: LucideIcon;
}

/** The Settings pages, in the order the navigation lists them; each is `/settings/<id>`. */
export const SETTINGS_SECTIONS: readonly SettingsSection[] = [
  { id: 'environment', label: 'Environment', icon: Variable },
  { id: 'files', label: 'Files', icon: FileText },
  { id: 'agents', label: 'Coding agents', icon: Bot },
  { id: 'scripts', label: 'Scripts', icon: ScrollText },
  { id: 'skills', label: 'Skills', icon: Sparkles },
  { id: 'mcp', label: 'MCP servers', icon: Plug },
  { id: 'ssh', label: 'SSH keys', icon: KeyRound },
  { id: 'security', label: 'Security', icon: ShieldCheck },
  // This browser's own preference, not the agent's: last.
  { id: 'terminal', label: 'Terminal', icon: SquareTerminal },
];

export function settingsSection(id: string | undefined): SettingsSection | undefined {
  return SETTINGS_SECTIONS.find((section) => section.id === id);
}
