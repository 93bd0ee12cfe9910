import './zod-config.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import 'diff2html/bundles/css/diff2html.min.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { Layout } from './components/Layout.js';
import { RequireSession } from './components/RequireSession.js';
import { SessionProvider } from './session.js';
import { SignInPage } from './pages/SignInPage.js';
import { RunsPage } from './pages/RunsPage.js';
import { RunPage } from './pages/RunPage.js';
import { FleetPage } from './pages/FleetPage.js';
import { DispatchPage } from './pages/DispatchPage.js';

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');

createRoot(root).render(
  <StrictMode>
    <SessionProvider>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route path="/sign-in" element={<SignInPage />} />
            <Route element={<RequireSession />}>
              <Route index element={<Navigate to="/runs" replace />} />
              <Route path="/runs" element={<RunsPage />} />
              <Route path="/runs/:runId" element={<RunPage />} />
              <Route path="/fleet" element={<FleetPage />} />
              <Route path="/dispatch" element={<DispatchPage />} />
            </Route>
            <Route path="*" element={<Navigate to="/runs" replace />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </SessionProvider>
  </StrictMode>,
);
