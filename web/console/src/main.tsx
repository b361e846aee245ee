// The staff console's entry: the message catalogue first, then the app.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './i18n/index';
import './styles.css';
import { App } from './app';

const root = document.getElementById('root');
if (root) createRoot(root).render(<StrictMode><App /></StrictMode>);
