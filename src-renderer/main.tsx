/** Renderer entry: pick the console API (Electron preload or web bridge), create the store, render. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { getConsoleApi } from './bridge/index.js';
import { createAppStore, StoreContext } from './store/store.js';
import './styles/app.css';

const api = getConsoleApi();
const store = createAppStore(api);
const container = document.getElementById('root');
if (!container) throw new Error('the page has no #root element');

createRoot(container).render(
  <StrictMode>
    <StoreContext.Provider value={store}>
      <App appInfo={() => api.app} />
    </StoreContext.Provider>
  </StrictMode>,
);
