import { Navigate, useParams } from 'react-router';

import { SettingsLayout, SettingsSectionPage } from '@/features/settings/settings-page';
import { settingsSection } from '@/features/settings/sections';

import { NotFoundRoute } from './not-found';

/** `/settings/<section>`: the layout stays mounted while the section changes. */
export function SettingsRoute() {
  const { section } = useParams();
  return <SettingsLayout section={settingsSection(section)} />;
}

export function SettingsSectionRoute() {
  const { section } = useParams();
  const known = settingsSection(section);
  if (!known) return <NotFoundRoute />;
  return <SettingsSectionPage section={known.id} />;
}

export function SettingsIndexRoute() {
  return <Navigate to="/settings/environment" replace />;
}
