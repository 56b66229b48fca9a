import { ArrowLeft, SearchX } from 'lucide-react';
import { Link } from 'react-router';

import { EmptyState } from '@/components/states';
import { Button } from '@/components/ui/button';

export function NotFoundRoute() {
  return (
    <EmptyState
      icon={SearchX}
      title="Page not found"
      action={
        <Button variant="outline" asChild>
          <Link to="/workspaces">
            <ArrowLeft /> Workspaces
          </Link>
        </Button>
      }
    >
      There is nothing at this address.
    </EmptyState>
  );
}
