import { Menu } from 'lucide-react';
import { useState } from 'react';
import { Outlet } from 'react-router';

import { Button } from '@/components/ui/button';
import { AttentionProvider } from '@/features/attention/attention';
import { NotificationsButton } from '@/features/attention/notifications-button';
import { Sheet, SheetContent, SheetDescription, SheetTitle, SheetTrigger } from '@/components/ui/sheet';

import { Breadcrumbs } from './breadcrumbs';
import { DockerBanner } from './docker-banner';
import { Logo } from './logo';
import { SidebarContent } from './sidebar';
import { ThemeToggle } from './theme-toggle';
import { UserMenu } from './user-menu';

/** The signed-in frame: sidebar, top bar, and the page in the middle (shadcn-admin's layout). */
export function AppShell() {
  const [drawerOpen, setDrawerOpen] = useState(false);
  return (
    <AttentionProvider>
    <div className="flex min-h-dvh">
      <aside className="sticky top-0 hidden h-dvh w-60 shrink-0 border-r border-sidebar-border bg-sidebar md:block">
        <SidebarContent />
      </aside>
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="sticky top-0 z-30 flex h-14 shrink-0 items-center gap-2 border-b bg-background/80 px-3 backdrop-blur md:px-6">
          <Sheet open={drawerOpen} onOpenChange={setDrawerOpen}>
            <SheetTrigger asChild>
              <Button variant="ghost" size="icon-sm" className="md:hidden" aria-label="Open navigation">
                <Menu />
              </Button>
            </SheetTrigger>
            <SheetContent>
              <SheetTitle className="sr-only">Navigation</SheetTitle>
              <SheetDescription className="sr-only">Pages and workspaces</SheetDescription>
              <SidebarContent onNavigate={() => setDrawerOpen(false)} />
            </SheetContent>
          </Sheet>
          <Logo className="md:hidden" />
          <Breadcrumbs />
          <div className="ml-auto flex items-center gap-1">
            <NotificationsButton />
            <ThemeToggle />
            <UserMenu />
          </div>
        </header>
        <DockerBanner />
        <main className="flex min-h-0 flex-1 flex-col px-4 py-6 md:px-8 md:py-8">
          <Outlet />
        </main>
      </div>
    </div>
    </AttentionProvider>
  );
}
