import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, loadConfigFromUrl } from './App';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
loadConfigFromUrl();
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
