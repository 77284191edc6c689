import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import '@mantine/charts/styles.css';
import { App } from './App.tsx';
import { startAppStore } from './store/app-store.ts';
import { startCatalogStore } from './store/catalog-store.ts';
import { notifyFinished } from './store/database-actions.ts';
import { startHistoryStore } from './store/history-store.ts';
import { startJobsStore } from './store/jobs-store.ts';
import { startRestoreStore } from './store/restore-store.ts';
import { startSchedulesStore } from './store/schedules-store.ts';
import { cssVariablesResolver, theme } from './theme.ts';

startAppStore();
startCatalogStore();
startJobsStore(notifyFinished);
startRestoreStore();
startSchedulesStore();
startHistoryStore();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto">
      <Notifications position="bottom-right" limit={4} />
      <App />
    </MantineProvider>
  </StrictMode>,
);
